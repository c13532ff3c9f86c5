# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import fcntl, struct
r, w = os.pipe()
fcntl.fcntl(r, 15, struct.pack('ii', 2, os.getpgrp()))  # F_SETOWN_EX, F_OWNER_PGRP: the zygote's group
fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC)
os.write(w, b'x')
