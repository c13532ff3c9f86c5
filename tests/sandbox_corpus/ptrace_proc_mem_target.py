# expect: exception: PermissionError: [Errno 13]
# needs: landlock
open(f'/proc/{TARGET}/mem', 'rb')  # Landlock: no ptrace of a process outside the domain
