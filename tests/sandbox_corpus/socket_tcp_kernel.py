# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import socket
socket.create_connection(('127.0.0.1', 22))
