"""A crowd of N logged-in JSON clients that read everything (for bench/attacks.py).

Run as a child process so its reading never competes with the measuring process.
SIGUSR1 makes every client vanish at once (RST), as when a switch restarts.
"""

import json
import os
import selectors
import signal
import socket
import sys


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    selector = selectors.DefaultSelector()
    socks = []
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        sock.sendall(json.dumps({"type": "login", "nick": f"u{n:05d}"}).encode() + b"\n")
        selector.register(sock, selectors.EVENT_READ)
        socks.append(sock)
        if n % 100 == 0:
            drain(selector, 0)
    print("connected", flush=True)

    def vanish(*_):
        for sock in socks:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            sock.close()
        os._exit(0)

    signal.signal(signal.SIGUSR1, vanish)
    while True:
        drain(selector, 0.5)


def drain(selector, timeout) -> None:
    for key, _ in selector.select(timeout):
        try:
            if not key.fileobj.recv(1 << 20):
                selector.unregister(key.fileobj)
        except OSError:
            selector.unregister(key.fileobj)


if __name__ == "__main__":
    main()
