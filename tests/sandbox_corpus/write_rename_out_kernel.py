# expect: exception: PermissionError: [Errno 13]
# needs: landlock
guard_off()
open('inside', 'w').write('x')
os.rename('inside', os.path.join(OUTSIDE, 'evil'))
