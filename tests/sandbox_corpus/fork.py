# expect: blocked: os.fork
if os.fork() == 0:
    open(os.path.join(OUTSIDE, 'evil'), 'w')
