# expect: exception: PermissionError: [Errno 1] rt_sigqueueinfo
# needs: seccomp
guard_off()
syscall('rt_sigqueueinfo', 129, os.getppid(), signal.SIGKILL, siginfo(signal.SIGKILL))
