# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
os.chroot('.')  # os.chroot raises no audit event: only the kernel refuses it
