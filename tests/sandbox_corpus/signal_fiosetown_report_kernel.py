# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import fcntl, struct
sockets = [fd for fd in fds() if os.readlink(f'/proc/self/fd/{fd}').startswith('socket:')]
fcntl.ioctl(sockets[0], 0x8901, struct.pack('i', TARGET))  # FIOSETOWN on the inherited report socket
