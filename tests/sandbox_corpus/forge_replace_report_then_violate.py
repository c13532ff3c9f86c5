# expect: blocked: the snippet closed or replaced the sandbox's report channel
for fd in fds():
    if os.readlink(f'/proc/self/fd/{fd}').startswith('socket:'):
        os.dup2(1, fd)  # /dev/null, writable
violate()
print('fine')
