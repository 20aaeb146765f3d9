#!/usr/bin/env python3
"""Opens idle TLS connections to the webhook on 127.0.0.1 and holds them: what a caller that fills the listener costs.

Usage: bench/idle-tls-flood.py PORT COUNT PER_ADDRESS HOLD_SECONDS
Connections come from source addresses 127.0.1.10, 127.0.1.11, ... (PER_ADDRESS each), all on loopback. Prints how
many completed the TLS handshake (held) and how many were closed before it (refused), then holds them for
HOLD_SECONDS so the operator's RSS can be read (grep VmRSS /proc/PID/status). Bounded: COUNT connections, then exits.
"""
import socket
import ssl
import sys
import time

port, count, per_address, hold = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
held, refused = [], 0
for i in range(count):
    n = i // per_address
    source = "127.%d.%d.%d" % (n // 62500, 1 + (n // 250) % 250, 10 + n % 250)
    s = socket.socket()
    s.settimeout(10)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        held.append(context.wrap_socket(s, server_hostname="localhost"))
    except (OSError, ssl.SSLError):
        refused += 1
        s.close()
print("held", len(held), "refused", refused, flush=True)
time.sleep(hold)
