# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.setxattr(os.path.join(OUTSIDE, 'keep'), 'user.x', b'1')
