# expect: crashed: SIGABRT
os.abort()  # glibc raises SIGABRT with tgkill on itself
