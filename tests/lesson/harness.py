"""What a lesson is played with: the server as a process on a data folder, students
that speak JSON (with resume: session, largest seq, an outbox by cid) or type like a
person on `nc`, and waits that end as soon as what they wait for has happened."""

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support import ROOT, wait_until_listening
from tests.support import wait_for as _wait_for

PASSWORD = "chalk-and-talk-42"
TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]



def wait_for(condition, timeout: float = TIMEOUT, what: str = "the condition"):
    return _wait_for(condition, timeout, what)


def source(n: int) -> str:
    """A loopback address of its own for student n (127.0.0.n), so that a ban of one
    address does not shut the class out."""
    assert 2 <= n <= 254
    return f"127.0.0.{n}"


# ---- the server -----------------------------------------------------------------------

class ServerProcess:
    """`python run_server.py` on 127.0.0.1 and one port for its whole life, so that a
    restart is where the students (and the desktop clients) look for it."""

    def __init__(self, data_dir: Path | None, *args: str, password: str | None = PASSWORD):
        self.data_dir = data_dir
        self.args = args
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.runs = 0
        self._out = tempfile.TemporaryFile("w+")   # files, not pipes: a full pipe
        self._err = tempfile.TemporaryFile("w+")   # would block the server

    def start(self) -> "ServerProcess":
        assert self.process is None or self.process.poll() is not None, "already running"
        store = ["--data-dir", str(self.data_dir)] if self.data_dir else ["--no-store"]
        env = {k: v for k, v in os.environ.items() if k != "CHAT_ADMIN_PASSWORD"}
        if self.password is not None:
            env["CHAT_ADMIN_PASSWORD"] = self.password
        self._out.seek(0, os.SEEK_END)
        self._out.write(f"\n--- run {self.runs + 1} ---\n")
        self._out.flush()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1",
             "--port", str(self.port), *store, *self.args],
            cwd=ROOT, stdout=self._out, stderr=self._err, text=True, env=env)
        self.runs += 1
        wait_until_listening(self.process, self.port, self.output)
        return self

    def output(self) -> str:
        parts = []
        for f in (self._out, self._err):
            f.flush()
            f.seek(0)
            parts.append(f.read())
        return "\n".join(parts)

    def stdout(self) -> str:
        self._out.flush()
        self._out.seek(0)
        return self._out.read()

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, as the teacher's Ctrl+C; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the server did not exit within {timeout} s of SIGTERM; "
                                 f"{self.output()[-2000:]}")

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._out.close()
        self._err.close()


# ---- a student speaking JSON ---------------------------------------------------------------

_cids = itertools.count(1)


class Student:
    """A program client: logs in, chats, keeps what a client needs to resume.

    Every frame it receives is kept in `frames` (lines that are not JSON, such as the
    prompt meant for people, are skipped, as the spec tells JSON clients to).
    With `resumable`, it pings every 0.4 × heartbeat and keeps its session, the
    largest `seq` it has seen and an outbox of the messages not yet echoed (by cid).
    """

    def __init__(self, port: int, nick: str, src: str | None = None):
        self.port = port
        self.nick = nick
        self.src = src
        self.frames: list[dict] = []
        self.welcome_raw = b""              # the last welcome as it came, for its size
        self.others: list[bytes] = []       # lines that were not JSON
        self.cursor = 0
        self.session: str | None = None
        self.max_seq = 0
        self.outbox: dict[str, dict] = {}
        self.welcome: dict | None = None
        self.heartbeat = 0.0
        self.sock: socket.socket | None = None
        self.generation = 0
        self.stale: list[dict] = []         # frames that came on a link given up on
        self._lock = threading.Lock()
        self._pinger: threading.Thread | None = None
        self._closed = False

    # connecting

    def connect(self, port: int | None = None) -> "Student":
        port = port or self.port
        sock = socket.create_connection(
            ("127.0.0.1", port), timeout=TIMEOUT,
            source_address=(self.src, 0) if self.src else None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        with self._lock:
            self.generation += 1
            self.sock = sock
            generation = self.generation
        threading.Thread(target=self._read, args=(sock, generation), daemon=True,
                         name=f"student-{self.nick}").start()
        return self

    def _read(self, sock: socket.socket, generation: int) -> None:
        partial = b""
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    if generation == self.generation:
                        self.frames.append({"type": "_closed"})
                return
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                self._take(line, generation)

    def _take(self, line: bytes, generation: int) -> None:
        line = line.rstrip(b"\r")
        if not line.startswith(b"{"):
            with self._lock:
                self.others.append(line)
            return
        frame = json.loads(line)
        with self._lock:
            if generation != self.generation:
                self.stale.append(frame)
                return
            seq = frame.get("seq")
            if isinstance(seq, int) and frame.get("type") in ("msg", "joined", "left",
                                                               "welcome"):
                self.max_seq = max(self.max_seq, seq)
            cid = frame.get("cid")
            if cid in self.outbox and (
                    frame.get("type") == "error"
                    or (frame.get("type") == "msg" and frame.get("from") == self.nick)):
                del self.outbox[cid]   # confirmed by its echo, or refused for good
            if frame.get("type") == "welcome":
                self.welcome_raw = line
            self.frames.append(frame)

    def send(self, frame: dict) -> None:
        data = json.dumps(frame, ensure_ascii=False).encode() + b"\n"
        try:
            self.sock.sendall(data)
        except OSError:
            pass   # a dead link: the outbox keeps what matters

    def login(self, password: str | None = None, resumable: bool = False,
              connect: bool = True, **extra) -> dict:
        """Log in; returns the welcome, or the error frame if the login was refused."""
        if connect:
            self.connect()
        frame = {"type": "login", "nick": self.nick, **extra}
        if password is not None:
            frame["password"] = password
        if resumable:
            frame["resumable"] = True
        start = len(self.frames)
        self.send(frame)
        answer = self.wait(lambda f: f["type"] in ("welcome", "error", "_closed"),
                           start=start, what=f"{self.nick}'s login answer")
        if answer["type"] == "welcome":
            self.welcome = answer
            self.nick = answer["nick"]
            self.session = answer.get("session") or self.session
            self.heartbeat = answer.get("heartbeat") or self.heartbeat
            with self._lock:
                self.cursor = self.frames.index(answer, start) + 1
            if resumable and self.heartbeat and self._pinger is None:
                self._pinger = threading.Thread(target=self._ping, daemon=True)
                self._pinger.start()
        return answer

    def _ping(self) -> None:
        beat = itertools.count(1)
        while not self._closed:
            time.sleep(self.heartbeat * 0.4)
            if not self._closed:
                self.send({"type": "ping", "id": next(beat)})

    def resume(self, port: int | None = None) -> dict:
        """Log in again on a new link with the session and the largest seq seen, then
        send the outbox again (same cids), as a resumable client does."""
        with self._lock:
            seq = self.max_seq
        self.connect(port)
        welcome = self.login(connect=False, resumable=True, session=self.session, seq=seq)
        if welcome["type"] == "welcome":
            for cid in list(self.outbox):
                self.send(self.outbox[cid])
        return welcome

    # chatting

    def say(self, text: str, to: str | None = None, cid: str | None = None) -> str:
        cid = cid or f"{self.nick}-{next(_cids)}"
        frame = {"type": "msg", "text": text, "cid": cid}
        if to is not None:
            frame["to"] = to
        with self._lock:
            self.outbox[cid] = frame
        self.send(frame)
        return cid

    def close(self) -> None:
        self._closed = True
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass

    # looking at what came

    def wait(self, predicate, timeout: float = TIMEOUT, start: int | None = None,
             what: str = "a frame") -> dict:
        """The first frame from `start` (default: the cursor) that matches."""
        index = self.cursor if start is None else start
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                frames = self.frames[index:]
            for frame in frames:
                if predicate(frame):
                    return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.nick}: no {what} within {timeout} s; "
                                     f"last frames: {self.frames[-4:]!r}"[:3000])
            time.sleep(0.01)

    def next(self, kind: str, timeout: float = TIMEOUT, **fields) -> dict:
        """The next frame of `kind` with `fields` after the cursor; moves the cursor
        past it (frames in between are passed over, not lost: see `frames`)."""
        start = self.cursor
        frame = self.wait(lambda f: f["type"] == kind and _has(f, fields), timeout, start,
                          what=f"{kind} {fields}")
        with self._lock:
            self.cursor = self.frames.index(frame, start) + 1
        return frame

    def all(self, kind: str, **fields) -> list[dict]:
        with self._lock:
            return [f for f in self.frames if f["type"] == kind and _has(f, fields)]

    def messages(self) -> list[dict]:
        return self.all("msg")

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages()]


def _has(frame: dict, fields: dict) -> bool:
    return all(frame.get(k.rstrip("_")) == v for k, v in fields.items())


# ---- a person on nc ---------------------------------------------------------------------

class TextStudent:
    """What `nc HOST PORT` is: a socket, lines typed, lines read."""

    def __init__(self, port: int, src: str | None = None):
        self.connected_at = time.monotonic()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                             source_address=(src, 0) if src else None)
        self.sock.settimeout(None)
        self.lines: list[str] = []
        self.arrived: list[float] = []      # monotonic time of each line
        self.closed = False
        self.nick: str | None = None
        self.cursor = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True, name="nc").start()

    def _read(self) -> None:
        partial = b""
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return
            *lines, partial = (partial + chunk).split(b"\n")
            now = time.monotonic()
            with self._lock:
                for line in lines:
                    self.lines.append(line.rstrip(b"\r").decode("utf-8"))
                    self.arrived.append(now)

    def type(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")

    def login(self, nick: str) -> str:
        """Type the nickname; returns the welcome line."""
        start = len(self.lines)
        self.type(nick)
        line = self.wait(lambda l: l.startswith("* Welcome, ") or l.startswith("! "),
                         start=start, what=f"{nick}'s welcome")
        if line.startswith("* Welcome, "):
            self.nick = nick
            with self._lock:
                self.cursor = self.lines.index(line, start) + 1
        return line

    def wait(self, predicate, timeout: float = TIMEOUT, start: int | None = None,
             what: str = "a line") -> str:
        index = self.cursor if start is None else start
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                lines = self.lines[index:]
            for line in lines:
                if predicate(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.nick}: no {what} within {timeout} s; "
                                     f"last lines: {self.lines[-4:]!r}"[:3000])
            time.sleep(0.01)

    def next(self, predicate, timeout: float = TIMEOUT, what: str = "a line") -> str:
        start = self.cursor
        line = self.wait(predicate, timeout, start, what)
        with self._lock:
            self.cursor = self.lines.index(line, start) + 1
        return line

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ---- texts people write -----------------------------------------------------------------

SCRIPTS = [
    "Привет, класс! Сегодня решаем дроби и проверяем домашнее задание. ",
    "Élève à l'école: ça va déjà mieux, où est la règle? Noël, façade, naïve. ",
    "🙂📚🧮✏️ fractions 🍕 pizza slices 🎉 ",
    "Καλημέρα! Σήμερα μαθαίνουμε κλάσματα. ",
    "今日は分数を勉強します。宿題はできましたか? ",
    "Grüße aus Köln — Straße, Größe, Ärger, Öl. ",
]


def lesson_text(i: int, length: int = 200) -> str:
    """Message i of the lesson: exactly `length` characters, in one of several scripts,
    starting with its number so that every text is different."""
    sample = SCRIPTS[i % len(SCRIPTS)]
    text = f"#{i:02d} "
    while len(text) < length:
        text += sample
    text = text[:length - 1] + "."
    assert len(text) == length
    return text
