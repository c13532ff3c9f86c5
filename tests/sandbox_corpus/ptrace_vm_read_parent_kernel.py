# expect: exception: PermissionError: [Errno 1] process_vm_readv
# needs: seccomp
guard_off()
import ctypes
buf = ctypes.create_string_buffer(8)
local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)
remote = (ctypes.c_void_p * 2)(0x400000, 8)
syscall('process_vm_readv', 310, os.getppid(), local, 1, remote, 1, 0)
