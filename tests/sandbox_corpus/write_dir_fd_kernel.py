# expect: exception: PermissionError: [Errno 13]
# needs: landlock
guard_off()
fd = os.open(OUTSIDE, os.O_RDONLY | os.O_DIRECTORY)
os.close(os.open('evil', os.O_WRONLY | os.O_CREAT, dir_fd=fd))
