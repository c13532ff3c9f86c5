# expect: crashed:
# The harness's result goes to /dev/null: the zygote sees the pipe close without a result.
for fd in fds():
    if os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):
        os.dup2(1, fd)
print('fine')
