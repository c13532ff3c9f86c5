# expect: exception: PermissionError: [Errno 1] pidfd_send_signal
# needs: seccomp
guard_off()
fd = os.open(f'/proc/{TARGET}', os.O_RDONLY | os.O_DIRECTORY)  # a /proc directory is a pidfd too
syscall('pidfd_send_signal', 424, fd, signal.SIGKILL, None, 0)
