# expect: blocked: socket.__new__
violate()
for fd in fds():
    os.close(fd)
print('fine')
