# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.utime(os.path.join(OUTSIDE, 'keep'), (0, 0))
