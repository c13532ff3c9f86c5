# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import socket
socket.socket(socket.AF_UNIX).connect('\0synthcompile-abstract')
