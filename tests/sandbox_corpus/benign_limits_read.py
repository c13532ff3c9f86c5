# expect: ok
# stdout: 'True True\n'
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_CPU)  # reading its own limits is allowed
print(0 < soft <= hard, resource.getrlimit(resource.RLIMIT_AS)[0] > 0)
