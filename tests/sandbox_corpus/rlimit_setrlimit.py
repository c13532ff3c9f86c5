# expect: blocked: resource.setrlimit
import resource
resource.setrlimit(resource.RLIMIT_CPU, resource.getrlimit(resource.RLIMIT_CPU))
