"""Baseline: a thread-per-client chat server (JSON dialect subset).

The classic shape: an accept loop, one thread per connection reading lines,
one lock around the user table, and a blocking ``sendall`` per recipient while
that lock is held (which also gives every client the same event order).  A
yardstick for bench/run.py, not a product.

    python bench/baselines/threaded_server.py --host 127.0.0.1 --port 5052
"""

import argparse
import itertools
import json
import socket
import threading
import time

SERVER_NAME = "threaded-baseline/1"
MAX_LINE = 65536


def now_ms():
    return int(time.time() * 1000)


def encode(event):
    return (json.dumps(event) + "\n").encode()


class ChatServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.clients = {}  # nick -> socket
        self.ids = itertools.count(1)

    def send_locked(self, sock, event):
        """Send to one client; the caller holds self.lock."""
        try:
            sock.sendall(encode(event))
        except OSError:
            pass  # that client's own thread notices and cleans up

    def send_to_all_locked(self, event, skip=None):
        for nick, sock in self.clients.items():
            if nick != skip:
                self.send_locked(sock, event)

    def serve_client(self, sock):
        nick = None
        buf = b""
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                buf += data
                *lines, buf = buf.split(b"\n")
                if len(buf) > MAX_LINE:
                    break
                for line in lines:
                    if line.strip():
                        nick = self.handle_line(sock, nick, line)
        except OSError:
            pass
        finally:
            with self.lock:
                if nick is not None and self.clients.get(nick) is sock:
                    del self.clients[nick]
                    self.send_to_all_locked({"type": "left", "nick": nick,
                                             "reason": "disconnected", "ts": now_ms()})
            sock.close()

    def handle_line(self, sock, nick, line):
        try:
            frame = json.loads(line)
        except ValueError:
            with self.lock:
                self.send_locked(sock, {"type": "error", "code": "bad_json",
                                        "message": "That is not JSON."})
            return nick
        kind = frame.get("type")
        with self.lock:
            if kind == "ping":
                pong = {"type": "pong"}
                if "id" in frame:
                    pong["id"] = frame["id"]
                self.send_locked(sock, pong)
            elif kind == "login":
                nick = self.login_locked(sock, nick, frame.get("nick"))
            elif kind == "msg":
                self.message_locked(sock, nick, frame)
            else:
                self.send_locked(sock, {"type": "error", "code": "unknown_type",
                                        "message": "Unknown frame type."})
        return nick

    def login_locked(self, sock, nick, wanted):
        if nick is not None:
            self.send_locked(sock, {"type": "error", "code": "already_logged_in",
                                    "message": "You are already logged in."})
            return nick
        if not isinstance(wanted, str) or not wanted:
            self.send_locked(sock, {"type": "error", "code": "nick_invalid",
                                    "message": "Bad nickname."})
            return None
        if wanted in self.clients:
            self.send_locked(sock, {"type": "error", "code": "nick_taken",
                                    "message": "That nickname is taken."})
            return None
        self.clients[wanted] = sock
        users = sorted(self.clients, key=str.casefold)
        self.send_locked(sock, {"type": "welcome", "nick": wanted, "users": users,
                                "admin": False, "history": [], "server": SERVER_NAME})
        self.send_to_all_locked({"type": "joined", "nick": wanted, "ts": now_ms()},
                                skip=wanted)
        return wanted

    def message_locked(self, sock, nick, frame):
        if nick is None:
            self.send_locked(sock, {"type": "error", "code": "not_logged_in",
                                    "message": "Log in first."})
            return
        text = frame.get("text")
        if not isinstance(text, str) or not text.strip():
            self.send_locked(sock, {"type": "error", "code": "empty_message",
                                    "message": "Empty message."})
            return
        to = frame.get("to")
        event = {"type": "msg", "id": next(self.ids), "ts": now_ms(), "from": nick,
                 "to": to, "text": text.strip()}
        if to is None:
            self.send_to_all_locked(event)
            return
        target = self.clients.get(to)
        if target is None:
            self.send_locked(sock, {"type": "error", "code": "no_such_user",
                                    "message": "No such user."})
            return
        self.send_locked(target, event)
        if target is not sock:
            self.send_locked(sock, event)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5052)
    args = parser.parse_args()
    chat = ChatServer()
    listener = socket.create_server((args.host, args.port))
    try:
        while True:
            sock, _ = listener.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=chat.serve_client, args=(sock,), daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()


if __name__ == "__main__":
    main()
