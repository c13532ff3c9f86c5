# expect: blocked: forged sandbox report
for fd in fds():
    if os.readlink(f'/proc/self/fd/{fd}').startswith('socket:'):
        os.write(fd, b'start 0.0\n\n')  # a second start, to reset the CPU count, and a blank line
violate()
