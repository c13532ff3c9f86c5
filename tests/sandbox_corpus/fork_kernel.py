# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
if os.fork() == 0:
    open(os.path.join(OUTSIDE, 'evil'), 'w')
