"""Test helpers: the real server on 127.0.0.1 in a thread, and a blocking socket peer."""

import collections
import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from server.loop import ChatServer
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 5.0


def wait_for(condition, timeout: float = TIMEOUT, what: str = "the condition",
             poll: float = 0.01):
    """Poll `condition` until it returns something true (and return it); fail after
    `timeout` s, naming what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(poll)


class RunningServer:
    def __init__(self, server: ChatServer, thread: threading.Thread):
        self.server = server
        self.thread = thread
        self.host = "127.0.0.1"
        self.port = server.port
        self.admin_password = server.settings.admin_password

    @property
    def room(self):
        return self.server.room

    def stop(self, timeout: float = 10.0) -> None:
        if self.thread.is_alive():
            self.server.request_shutdown("server", "")
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the server did not stop"


@contextlib.contextmanager
def run_server(admin_password: str = "secret", web=None, **limits):
    """The real server, listening on an ephemeral port of 127.0.0.1, in a thread."""
    # Most tests send faster than a student may (the classroom default is a burst of 5,
    # then 1 a second); the ones about the rate limit pass rate_limit/rate_burst.
    limits = {"rate_limit": 20.0, "rate_burst": 40, **limits}
    settings = replace(Settings(), host="127.0.0.1", port=0,
                       admin_password=admin_password, **limits)
    server = ChatServer(settings, web=web)
    failure = []

    def serve():
        try:
            server.serve_forever()
        except BaseException as error:  # reported by the test, not lost in the thread
            failure.append(error)
            raise

    thread = threading.Thread(target=serve, name="chat-server", daemon=True)
    thread.start()
    running = RunningServer(server, thread)
    try:
        yield running
    finally:
        running.stop()
    if failure:
        raise AssertionError(f"the server loop died: {failure[0]!r}") from failure[0]


class Peer:
    """A blocking client for tests: send dicts or raw bytes, read frames one by one."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = TIMEOUT):
        self._adopt(socket.create_connection((host, port), timeout=timeout))

    @classmethod
    def over(cls, sock: socket.socket) -> "Peer":
        """A Peer on a socket connected by other means (a small buffer, a source address)."""
        peer = cls.__new__(cls)
        peer._adopt(sock)
        return peer

    def _adopt(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._lines: collections.deque[bytes] = collections.deque()
        self._partial = b""     # the start of a line whose newline has not come yet
        self.nick = None

    def _take(self, chunk: bytes) -> None:
        # Split each chunk once: a peer far behind must not slow down as it catches up.
        *complete, self._partial = (self._partial + chunk).split(b"\n")
        self._lines.extend(complete)

    @property
    def unread(self) -> bytes:
        return b"".join(line + b"\n" for line in self._lines) + self._partial

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, frame: dict) -> None:
        self.send_raw(json.dumps(frame, ensure_ascii=False).encode() + b"\n")

    def line(self, timeout: float = TIMEOUT) -> bytes:
        """The next line without its newline; AssertionError if none comes in time."""
        deadline = time.monotonic() + timeout
        while not self._lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line within {timeout} s; got {self._partial!r}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise ConnectionError(f"the server closed the connection; "
                                      f"unread: {self._partial!r}")
            self._take(chunk)
        return self._lines.popleft()

    def recv(self, timeout: float = TIMEOUT) -> dict:
        return json.loads(self.line(timeout))

    def text(self, timeout: float = TIMEOUT) -> str:
        return self.line(timeout).decode()

    def expect(self, kind: str, timeout: float = TIMEOUT) -> dict:
        """Skip frames until one of type `kind` arrives."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.01, deadline - time.monotonic()))
            if frame.get("type") == kind:
                return frame

    def login(self, nick: str, password: str | None = None) -> dict:
        frame = {"type": "login", "nick": nick}
        if password is not None:
            frame["password"] = password
        self.send(frame)
        welcome = self.recv()
        assert welcome["type"] == "welcome", welcome
        self.nick = welcome["nick"]
        return welcome

    def nothing_within(self, seconds: float = 0.3) -> bool:
        """True if no byte arrives within `seconds` (the connection may stay open)."""
        if self._lines or self._partial:
            return False
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._take(chunk)
        return False

    def closed_by_server(self, timeout: float = TIMEOUT) -> bool:
        """True once the server has closed (after any lines still unread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self._take(chunk)
        return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def start_server_process(*args: str, env=None) -> tuple[subprocess.Popen, int]:
    """`python run_server.py` as a child process on a free port; returns (process, port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1",
         "--port", str(port), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    wait_until_listening(process, port, lambda: str(process.communicate()))
    return process, port


def wait_until_listening(process: subprocess.Popen, port: int, output, timeout=10.0) -> None:
    """Wait for a server process to accept on `port`; `output()` tells why if it exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"the server exited: {output()}")
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the server did not start listening within {timeout:.0f} s")


class Collector:
    """Reads every frame a peer receives in a background thread, as a live client does."""

    def __init__(self, peer: Peer):
        self.peer = peer
        self.frames: list[dict] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                self.frames.append(json.loads(self.peer.line(timeout=60)))
            except (AssertionError, OSError):
                return

    def wait_for(self, predicate, timeout: float = TIMEOUT) -> list[dict]:
        """Wait until predicate(frames) is true; returns the frames so far."""
        deadline = time.monotonic() + timeout
        while not predicate(self.frames):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {timeout} s; "
                                     f"last frames: {self.frames[-3:]}")
            time.sleep(0.01)
        return list(self.frames)
