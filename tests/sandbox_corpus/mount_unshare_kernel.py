# expect: exception: PermissionError: [Errno 1] unshare
# needs: seccomp
guard_off()
syscall('unshare', 272, 0x10000000 | 0x00020000)  # a user namespace (all capabilities) and a mount namespace
