# expect: exception: PermissionError: [Errno 1] fork
# needs: seccomp
guard_off()
if syscall('fork', 57) == 0:
    os._exit(0)
