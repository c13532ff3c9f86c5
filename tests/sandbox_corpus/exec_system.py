# expect: blocked: os.system
os.system('touch ' + os.path.join(OUTSIDE, 'evil'))
