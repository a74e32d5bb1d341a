"""The hostile suite's common ground: a real server, abusers, and bystanders.

Every abuse test gets a `pair` of well-behaved users who are logged in *before* the
abuse starts and must still chat normally afterwards (`pair.assert_chatting()`), and
an `abuser` factory whose connections are closed when the test ends. After each test
the server must be left with no connection and no nick behind.
"""

import itertools
import json
import os
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest

from tests.support import ROOT, Peer, run_server, wait_until_listening
from tests.support import wait_for as _wait_for

_serial = itertools.count(1)
# Bystanders must see their own messages quickly even while someone misbehaves.
BYSTANDER_LATENCY = 2.0


def fresh_nick(prefix: str = "user") -> str:
    return f"{prefix}{next(_serial)}"



def wait_for(condition, timeout: float = 5.0, what: str = "the condition"):
    return _wait_for(condition, timeout, what)


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN: an abrupt, ungraceful disconnect."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def frame(**fields) -> bytes:
    return json.dumps(fields).encode() + b"\n"


def error_code(peer: Peer, timeout: float = 5.0) -> str:
    answer = peer.recv(timeout)
    assert answer["type"] == "error", answer
    return answer["code"]


def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server still sends, up to its close (FIN or RST)."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the server did not close within {timeout} s; got {data[-200:]!r}")


class Pair:
    """Two well-behaved users, alice and bob, who watch everything the abuse causes."""

    # What may reach a bystander because of somebody else: they are told, nothing more.
    NOTICES = {"joined", "left", "msg"}

    def __init__(self, port: int):
        self.alice = Peer(port)
        self.alice.login(fresh_nick("alice"))
        self.bob = Peer(port)
        self.bob.login(fresh_nick("bob"))
        self.alice.expect("joined")
        self.rounds = 0

    @property
    def nicks(self) -> set:
        return {self.alice.nick, self.bob.nick}

    def next_event(self, peer: Peer, kind: str, timeout: float = 5.0, **fields) -> dict:
        """The next `kind` frame with `fields`, passing over notices about others only."""
        deadline = time.monotonic() + timeout
        while True:
            event = peer.recv(max(0.01, deadline - time.monotonic()))
            if event["type"] == kind and all(event.get(k) == v for k, v in fields.items()):
                return event
            assert event["type"] in self.NOTICES, f"{peer.nick} got {event}"
            assert event.get("from") not in self.nicks, f"{peer.nick}: out of order {event}"

    def assert_chatting(self) -> None:
        """A public and a private message each way arrive once, in order, quickly."""
        self.rounds += 1
        tag = f"round {self.rounds} {next(_serial)}"
        started = time.monotonic()
        a, b = self.alice, self.bob
        a.send({"type": "msg", "text": f"{tag}: hello all"})
        for peer in (a, b):
            self.next_event(peer, "msg", **{"from": a.nick, "to": None,
                                            "text": f"{tag}: hello all"})
        b.send({"type": "msg", "text": f"{tag}: psst", "to": a.nick})
        for peer in (b, a):
            self.next_event(peer, "msg", **{"from": b.nick, "to": a.nick,
                                            "text": f"{tag}: psst"})
        a.send({"type": "users"})
        users = self.next_event(a, "users")["users"]
        assert self.nicks <= set(users), users
        elapsed = time.monotonic() - started
        assert elapsed < BYSTANDER_LATENCY, f"the bystanders waited {elapsed:.2f} s"

    def close(self) -> None:
        self.alice.close()
        self.bob.close()


def server_settings(request) -> dict:
    return dict(getattr(request.module, "SERVER_SETTINGS", {}))


@pytest.fixture(scope="module")
def server(request):
    """One real server (a thread of this process) per module; a module may set
    SERVER_SETTINGS = {...} to change its limits."""
    with run_server(**server_settings(request)) as running:
        yield running


@pytest.fixture
def pair(server):
    pair = Pair(server.port)
    yield pair
    pair.close()
    # Nothing is left behind: no connection, no nick (the abusers are closed first).
    wait_for(lambda: not server.server.connections and not server.room.users,
             what="every connection and nick going away")


@pytest.fixture
def abuser(server):
    """abuser() -> a new raw Peer on the module's server; closed after the test."""
    peers = []

    def connect(**kwargs) -> Peer:
        peer = Peer(server.port, **kwargs)
        peers.append(peer)
        return peer

    yield connect
    for peer in peers:
        peer.close()


# ---- the server as a process of its own ------------------------------------------

def start_limited_server(*args: str, nofile: tuple[int, int] | None = None):
    """run_server.py as a child process on a free port, optionally with RLIMIT_NOFILE
    set to (soft, hard) before it starts. Returns (process, port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    log = tempfile.TemporaryFile("w+")

    def limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1",
         "--port", str(port), "--admin-password", "secret", "--log-level", "warning",
         *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True, preexec_fn=limit)
    process.log = log      # a file, not a pipe: a full pipe would block the server
    wait_until_listening(process, port, lambda: server_log(process))
    return process, port


def server_log(process: subprocess.Popen) -> str:
    process.log.seek(0)
    return process.log.read()


def stop_server(process: subprocess.Popen, signalled: bool = False) -> str:
    """SIGTERM (unless `signalled` already), as a teacher's Ctrl+C would: the server
    must exit 0 on its own. Returns what it logged."""
    if not signalled:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("the server did not exit within 15 s of SIGTERM")
    log = server_log(process)
    process.log.close()
    assert process.returncode == 0, f"exit status {process.returncode}: {log[-3000:]}"
    return log


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
