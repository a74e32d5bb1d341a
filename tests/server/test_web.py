"""The browser's way in, over real sockets: the page over HTTP, the chat over WebSocket,
in the same room as JSON and text users. wsproto (test-only) plays the browser's side."""

import json
import socket
import struct
import time

import pytest
import wsproto
from wsproto.events import (
    AcceptConnection, CloseConnection, Message, Request, TextMessage,
)

from server.dialects.web import WebAssets
from tests.support import Peer, run_server


@pytest.fixture
def web(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>Chat</title>\n")
    (tmp_path / "app.js").write_text("console.log('hi');\n")
    return WebAssets(tmp_path)


@pytest.fixture
def server(web):
    with run_server(web=web, request_timeout=0.5, heartbeat=1) as running:
        yield running


class Browser:
    """A WebSocket client on a real socket, as a page at http://127.0.0.1:PORT/ opens it."""

    def __init__(self, port: int, origin: str | None = None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        extra = [("Origin", origin or f"http://127.0.0.1:{port}")]
        self.sock.sendall(self.ws.send(Request(host=f"127.0.0.1:{port}", target="/ws",
                                               extra_headers=extra)))
        self.events = []
        self.accepted = isinstance(self._next(), AcceptConnection)
        self._partial = ""

    def _next(self, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while not self.events:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            self.events.extend(self.ws.events())
            if not data and not self.events:
                raise ConnectionError("closed")
        return self.events.pop(0)

    def send(self, frame: dict) -> None:
        self.sock.sendall(self.ws.send(Message(data=json.dumps(frame))))

    def recv(self, timeout: float = 5.0) -> dict:
        while True:
            event = self._next(timeout)
            if isinstance(event, TextMessage):
                self._partial += event.data
                if event.message_finished:
                    text, self._partial = self._partial, ""
                    return json.loads(text)
            elif isinstance(event, CloseConnection):
                raise ConnectionError(f"closed {event.code} {event.reason}")

    def expect(self, kind: str) -> dict:
        while (frame := self.recv())["type"] != kind:
            pass
        return frame

    def close_code(self) -> int:
        while True:
            event = self._next()
            if isinstance(event, CloseConnection):
                return event.code


def http_get(port: int, path: str, extra: bytes = b"") -> tuple[str, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode() + extra
                     + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return status, headers, body


def test_the_page_and_its_files_come_from_memory_with_a_strict_policy(server):
    status, headers, body = http_get(server.port, "/")
    assert status == "HTTP/1.1 200 OK" and body.startswith(b"<!doctype html>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = http_get(server.port, "/app.js")
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert http_get(server.port, "/../etc/passwd")[0].startswith("HTTP/1.1 404")
    assert http_get(server.port, "/nothing")[0] == "HTTP/1.1 404 Not Found"


def test_a_browser_chats_with_json_and_text_users_in_one_room(server):
    browser = Browser(server.port)
    assert browser.accepted
    browser.send({"type": "login", "nick": "Zoë", "resumable": True})
    welcome = browser.recv()
    assert welcome["type"] == "welcome" and welcome["session"]
    program = Peer(server.port)
    program.login("bot")
    person = Peer(server.port)
    person.send_raw(b"carol\n")
    assert person.text() == "* Welcome, carol!"
    assert browser.expect("joined")["nick"] == "bot"
    browser.send({"type": "msg", "text": "hello from the browser", "cid": "b1"})
    echo = browser.expect("msg")
    assert (echo["text"], echo["cid"]) == ("hello from the browser", "b1")
    assert program.expect("msg")["text"] == "hello from the browser"
    while "hello from the browser" not in (line := person.text()):
        pass
    assert line.endswith("Zoë: hello from the browser")
    person.send_raw("-to Zoë hi back\n".encode())
    private = browser.expect("msg")
    assert (private["from"], private["to"], private["text"]) == ("carol", "Zoë", "hi back")
    browser.send({"type": "ping", "id": 3})
    assert browser.expect("pong") == {"type": "pong", "id": 3}


def test_a_page_from_elsewhere_cannot_open_the_chat(server):
    browser = Browser(server.port, origin="http://evil.example")
    assert not browser.accepted


def raw_ws(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101") and b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
    return sock


def close_code_of(sock: socket.socket) -> int:
    data = b""
    while len(data) < 4:
        chunk = sock.recv(64)
        if not chunk:
            break
        data += chunk
    assert data[0] == 0x88, data          # a Close frame, unmasked
    return struct.unpack("!H", data[2:4])[0]


def masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", length)
    return head + mask + body


@pytest.mark.parametrize("frame, code", [
    (b"\x81\x05hello", 1002),                                   # not masked
    (masked(0x2, b"\x00\x01"), 1003),                           # binary
    (masked(0x1, b"\xff\xfe"), 1007),                           # not UTF-8
    (masked(0x9, b"x" * 126), 1002),                            # control frame too long
    (masked(0x1, b"x" * 70_000), 1009),                         # over the message limit
])
def test_broken_websocket_frames_are_answered_with_the_rfc_close_code(server, frame, code):
    pair = [Peer(server.port), Peer(server.port)]
    pair[0].login("alice")
    pair[1].login("bob")
    with raw_ws(server.port) as sock:
        sock.sendall(frame)
        assert close_code_of(sock) == code
    pair[0].send({"type": "msg", "text": "still here"})
    assert pair[1].expect("msg")["text"] == "still here"


def test_a_fragmented_message_with_a_ping_between_is_one_command(server):
    with raw_ws(server.port) as sock:
        login = json.dumps({"type": "login", "nick": "frag"}).encode()
        sock.sendall(masked(0x1, login[:10], fin=False) + masked(0x9, b"hi")
                     + masked(0x0, login[10:]))
        data = b""
        while b"welcome" not in data:
            data += sock.recv(65536)
        assert data.startswith(b"\x8a\x02hi")          # the pong came first


def test_a_huge_request_head_and_a_slow_one_are_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 20_000)
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 431")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")      # ... and nothing more
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408")
