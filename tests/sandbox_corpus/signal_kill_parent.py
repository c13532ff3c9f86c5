# expect: blocked: os.kill
os.kill(os.getppid(), signal.SIGKILL)
