# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
import fcntl
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETOWN, TARGET)  # then O_ASYNC and a write: SIGIO to TARGET
fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC)
os.write(w, b'x')
