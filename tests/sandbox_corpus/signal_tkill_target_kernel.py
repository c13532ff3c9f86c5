# expect: exception: PermissionError: [Errno 1] tkill
# needs: seccomp
guard_off()
syscall('tkill', 200, TARGET, signal.SIGKILL)
