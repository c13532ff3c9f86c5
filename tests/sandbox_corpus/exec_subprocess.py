# expect: blocked: import _posixsubprocess
import subprocess
subprocess.run(['touch', os.path.join(OUTSIDE, 'evil')])
