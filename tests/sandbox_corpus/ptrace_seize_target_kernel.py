# expect: exception: PermissionError: [Errno 1] ptrace
# needs: seccomp
guard_off()
syscall('ptrace', 101, 0x4206, TARGET, 0, 0)  # PTRACE_SEIZE
