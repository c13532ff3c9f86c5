# expect: blocked: socket.__new__
violate()
import json
json.dumps = lambda *args, **kwargs: '{"out": "forged\\n", "err": null}'
