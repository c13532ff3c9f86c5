# expect: exception: PermissionError: [Errno 13]
# needs: landlock
guard_off()
os.symlink('/etc/passwd', os.path.join(OUTSIDE, 'evil'))
