# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import socket
socket.socketpair()
