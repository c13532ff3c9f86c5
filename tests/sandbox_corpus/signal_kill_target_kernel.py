# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.kill(TARGET, signal.SIGKILL)
