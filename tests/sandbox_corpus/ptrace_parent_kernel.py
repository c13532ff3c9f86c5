# expect: exception: PermissionError: [Errno 1] ptrace
# needs: seccomp
guard_off()
syscall('ptrace', 101, 16, os.getppid(), 0, 0)  # PTRACE_ATTACH
