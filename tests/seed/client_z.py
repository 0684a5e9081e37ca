# The seed activity's first client (section 2.3), ported to Python 3.
# It never reads, sends each line without a newline, and quits with "z".
# Only HOST and PORT changed: they come from the command line.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 50000

s = socket.socket()
s.connect((HOST, PORT))
print("Connection on {}".format(PORT))
message = input(' ?')

while message != 'z':
    s.send(bytes(message, 'utf8'))
    message = input('?')
s.send(b'z')
s.close()
