# expect: exception: PermissionError: [Errno 1] pidfd_open
# needs: seccomp
guard_off()
fd = syscall('pidfd_open', 434, TARGET, 0)
syscall('pidfd_send_signal', 424, fd, signal.SIGKILL, None, 0)
