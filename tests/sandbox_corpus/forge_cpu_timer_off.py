# expect: cpu time limit
import time
signal.setitimer(signal.ITIMER_PROF, 0)  # the Python-level CPU timer, off
start = time.process_time()
while time.process_time() - start < 0.8:  # past cpu_s (0.5), short of RLIMIT_CPU (2 s)
    pass
print('fine')
