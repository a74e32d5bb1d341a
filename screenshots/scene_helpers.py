"""Driving a ChatApp through its widgets, as a student would (for the screenshot scene)."""


def type_line(app, text: str) -> None:
    """Type into the input box and press Enter."""
    entry = app.input.entry
    entry.focus_force()
    app.root.update()
    app.input.set_text(text)
    entry.event_generate("<Return>")
    app.root.update()


def click_user_row(app, nick) -> None:
    """A mouse click on the user's row (None: Everyone)."""
    tree = app.users.tree
    iid = app.users.iid_of(nick) if nick is not None else "everyone"
    tree.see(iid)
    app.root.update()
    x, y, width, height = tree.bbox(iid)
    tree.event_generate("<ButtonPress-1>", x=x + 20, y=y + height // 2)
    tree.event_generate("<ButtonRelease-1>", x=x + 20, y=y + height // 2)
    app.root.update()


class JsonPeer:
    """A classmate without a window: logs in over JSON and keeps reading (so the
    server never drops it) on a thread of its own."""

    def __init__(self, port: int, nick: str, password=None):
        import json
        import socket
        import threading
        self.sock = socket.create_connection(("127.0.0.1", port))
        login = {"type": "login", "nick": nick}
        if password:
            login["password"] = password
        self.sock.sendall(json.dumps(login).encode() + b"\n")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass

    def say(self, text: str, to=None) -> None:
        import json
        self.sock.sendall(json.dumps({"type": "msg", "text": text, "to": to}).encode() + b"\n")

    def close(self) -> None:
        import socket
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes the reading thread too
        except OSError:
            pass
        self.sock.close()
