# expect: blocked: socket.__new__
violate()
forged = b'{"out": "forged\\n", "err": null}'
for fd in fds():  # the result pipe and the report socket
    try:
        os.write(fd, forged)
    except OSError:
        pass
os._exit(0)
