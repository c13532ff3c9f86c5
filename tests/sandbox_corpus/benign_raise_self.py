# expect: ok
# stdout: 'caught SIGUSR1\n'
signal.signal(signal.SIGUSR1, lambda signum, frame: print('caught', signal.Signals(signum).name))
signal.raise_signal(signal.SIGUSR1)
