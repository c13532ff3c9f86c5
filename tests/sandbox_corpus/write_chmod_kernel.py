# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.chmod(os.path.join(OUTSIDE, 'keep'), 0o777)
