# expect: blocked: socket.__new__
handler = signal.getsignal(signal.SIGPROF)
guard = [c.cell_contents for c in handler.__closure__ if hasattr(c.cell_contents, 'violation')][0]
violate()
guard.violation = None  # what the old harness's verdict was read from
