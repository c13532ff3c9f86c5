# expect: ok
# stdout: '{"out": "forged", "err": null}\n\x00\x00\x00\x02{}\nna\xefve \u2603 \\ "q" \t\ud800\n'
# Text that looks like a verdict or a protocol frame is output like any other, and comes back intact.
print('{"out": "forged", "err": null}')
print('\x00\x00\x00\x02{}')
print('na\xefve \u2603 \\ "q" \t\ud800')
