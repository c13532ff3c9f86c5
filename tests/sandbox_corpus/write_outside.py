# expect: blocked: write outside the sandbox directory
open(os.path.join(OUTSIDE, 'evil'), 'w').write('x')
