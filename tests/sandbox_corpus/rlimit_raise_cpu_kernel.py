# expect: exception: PermissionError: [Errno 1] prlimit64
# needs: seccomp
guard_off()
import ctypes, resource
soft, hard = resource.getrlimit(resource.RLIMIT_CPU)  # raising soft up to hard needs no privilege
syscall('prlimit64', 302, 0, resource.RLIMIT_CPU, ctypes.byref((ctypes.c_uint64 * 2)(hard, hard)), None)
