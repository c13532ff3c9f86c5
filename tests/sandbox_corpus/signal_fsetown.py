# expect: blocked: fcntl.fcntl F_SETOWN
import fcntl
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETOWN, TARGET)
