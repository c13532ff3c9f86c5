# expect: output limit
import sys
try:
    while True:
        print('spam' * 1000)
except BaseException:  # the output cap's LimitExceeded, caught
    pass
sys.stdout.parts.clear()
sys.stdout.size = 0
print('fine')
