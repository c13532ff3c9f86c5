# expect: exception: PermissionError: [Errno 1] tgkill
# needs: seccomp
guard_off()
syscall('tgkill', 234, os.getppid(), os.getppid(), signal.SIGKILL)
