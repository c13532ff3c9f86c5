# expect: blocked: resource.prlimit
import resource
resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (0, 0))
