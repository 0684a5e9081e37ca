# The seed activity's second client (section 3), ported to Python 3.
# It reads the server's greeting first, then alternates: send a line (no newline), read the
# answer. Typing FIN ends the dialogue. Only HOST and PORT changed: they come from the
# command line.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '192.168.0.23'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 50000

# 1) création du socket :
mySocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

# 2) envoi d'une requête de connexion au serveur :
try:
    mySocket.connect((HOST, PORT))
except socket.error:
    print("La connexion a échoué.")
    sys.exit()
print("Connexion établie avec le serveur.")

# 3) Dialogue avec le serveur :
msgServeur = mySocket.recv(1024).decode('utf8')

while 1:
    if msgServeur.upper() == "FIN" or msgServeur == "":
        break
    print("S>", msgServeur)
    msgClient = input("C> ")
    mySocket.send(bytes(msgClient, 'utf8'))
    msgServeur = mySocket.recv(1024).decode('utf8')

# 4) Fermeture de la connexion :
print("Connexion interrompue.")
mySocket.close()
