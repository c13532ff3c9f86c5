# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.execv('/usr/bin/touch', ['touch', os.path.join(OUTSIDE, 'evil')])
