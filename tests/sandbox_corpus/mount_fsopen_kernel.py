# expect: exception: PermissionError: [Errno 1] fsopen
# needs: seccomp
guard_off()
syscall('fsopen', 430, b'tmpfs', 0)
