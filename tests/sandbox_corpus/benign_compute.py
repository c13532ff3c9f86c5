# expect: ok
# stdout: '55\n[1, 4, 9]\n{"a": [1, 2]}\nhello\n'
import json
print(sum(range(11)))
print([i * i for i in range(1, 4)])
print(json.dumps({'a': [1, 2]}))
with open('inside.txt', 'w') as f:
    f.write('hello')
print(open('inside.txt').read())
