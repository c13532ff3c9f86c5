# expect: blocked: socket.__new__
violate()
import struct
fake = b'{"out": "forged\\n", "err": null, "cpu": 0}'
print(fake.decode())
for fd in (1, 2):  # the zygote's protocol once lived there
    os.write(fd, struct.pack('>I', len(fake)) + fake)
