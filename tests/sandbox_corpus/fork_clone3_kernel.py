# expect: exception: PermissionError: [Errno 1] clone3
# needs: seccomp
guard_off()
import ctypes
args = (ctypes.c_uint64 * 11)()  # struct clone_args, all zero: a plain fork
syscall('clone3', 435, ctypes.byref(args), ctypes.sizeof(args))
