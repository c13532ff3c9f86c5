# expect: blocked: signal.pthread_kill
import threading
signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
