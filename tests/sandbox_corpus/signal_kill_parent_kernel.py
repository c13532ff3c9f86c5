# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.kill(os.getppid(), signal.SIGKILL)
