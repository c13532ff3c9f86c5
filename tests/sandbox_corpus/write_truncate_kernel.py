# expect: exception: PermissionError: [Errno 13]
# needs: landlock
guard_off()
os.truncate(os.path.join(OUTSIDE, 'keep'), 0)
