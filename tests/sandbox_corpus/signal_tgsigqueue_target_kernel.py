# expect: exception: PermissionError: [Errno 1] rt_tgsigqueueinfo
# needs: seccomp
guard_off()
syscall('rt_tgsigqueueinfo', 297, TARGET, TARGET, signal.SIGKILL, siginfo(signal.SIGKILL))
