# expect: exception: PermissionError: [Errno 13]
open(f'/proc/{os.getppid()}/mem', 'rb')  # the zygote is not dumpable
