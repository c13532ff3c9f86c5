# expect: blocked: the snippet closed or replaced the sandbox's report channel
for fd in fds():
    if os.readlink(f'/proc/self/fd/{fd}').startswith('socket:'):
        os.close(fd)
violate()
print('fine')
