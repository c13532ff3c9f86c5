# expect: blocked: socket.__new__
violate()
import time
time.sleep(60)  # killed at the wall-clock limit; the verdict is still the violation
