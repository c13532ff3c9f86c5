# expect: exception: PermissionError: [Errno 1]
# needs: seccomp
guard_off()
os.killpg(os.getpgrp(), signal.SIGKILL)  # the zygote's process group
