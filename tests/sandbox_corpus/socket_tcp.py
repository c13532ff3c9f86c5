# expect: blocked: socket.__new__
import socket
socket.socket().connect(('127.0.0.1', 22))
