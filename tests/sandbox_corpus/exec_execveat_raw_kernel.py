# expect: exception: PermissionError: [Errno 1] execveat
# needs: seccomp
guard_off()
import ctypes
argv = (ctypes.c_char_p * 2)(b'/usr/bin/true', None)
syscall('execveat', 322, -100, b'/usr/bin/true', argv, None, 0)
