# expect: exception: PermissionError: [Errno 13]
# needs: landlock
guard_off()
open(os.path.join(OUTSIDE, 'evil'), 'w').write('x')
