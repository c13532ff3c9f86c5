# expect: cpu time limit
while True:
    try:
        while True:
            pass
    except BaseException:  # the timer's LimitExceeded, caught
        break
print('fine')
