# expect: exception: PermissionError: [Errno 1] prlimit64
# needs: seccomp
guard_off()
import ctypes, resource
syscall('prlimit64', 302, os.getppid(), resource.RLIMIT_NOFILE, ctypes.byref((ctypes.c_uint64 * 2)(0, 0)), None)
