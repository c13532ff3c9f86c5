# expect: exception: PermissionError: [Errno 1] rt_tgsigqueueinfo
# needs: seccomp
guard_off()
syscall('rt_tgsigqueueinfo', 297, os.getppid(), os.getppid(), signal.SIGKILL, siginfo(signal.SIGKILL))
