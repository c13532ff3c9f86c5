# expect: blocked: socket.__new__
violate()
for fd in fds():  # a pipe can be reopened for reading through /proc: drain what was sent
    try:
        drain = os.open(f'/proc/self/fd/{fd}', os.O_RDONLY | os.O_NONBLOCK)
        os.read(drain, 1 << 16)
    except OSError:
        pass
print('fine')
