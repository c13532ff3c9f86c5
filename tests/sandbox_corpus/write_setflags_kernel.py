# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import fcntl, struct
fd = os.open(os.path.join(OUTSIDE, 'keep'), os.O_RDONLY)  # read-only: Landlock lets it be opened
flags = struct.unpack('l', fcntl.ioctl(fd, 0x80086601, bytes(8)))[0]  # FS_IOC_GETFLAGS
fcntl.ioctl(fd, 0x40086602, struct.pack('l', flags | 0x40))  # FS_IOC_SETFLAGS: add FS_NODUMP_FL
