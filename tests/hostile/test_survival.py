"""One server process takes every abuse in turn, a crowd, and a bout of chaos, and
comes out serving, with its memory and descriptors back where they started.

This module's tests share ONE `run_server.py` process and run in file order; the last
test checks it is still alive and exits cleanly. Figures go to stdout (`pytest -s`).
"""

import json
import random
import socket
import threading
import time

import pytest

from tests.hostile.conftest import (
    Pair, frame, fresh_nick, open_fds, read_until_closed, reset, rss_kib,
    start_limited_server, stop_server, wait_for,
)
from tests.hostile.test_framing import INVALID_UTF8
from tests.hostile.test_json import NOT_JSON, NOT_OBJECTS
from tests.hostile.test_nicks import INVISIBLE_OR_CONTROL, RESERVED
from tests.hostile.test_sessions import COMMANDS_BEFORE_LOGIN, client_hello
from tests.support import Peer

CHAOS_SECONDS = 20
FIGURES = {}


@pytest.fixture(scope="module")
def process():
    process, port = start_limited_server()
    process.port = port
    process.base_fds = settled_fds(process.pid)   # the start-up probe may still be open
    warm = Pair(port)          # first allocations happen before the memory baseline
    warm.assert_chatting()
    warm.close()
    wait_for(lambda: idle(process), what="the warm-up connections closing")
    process.base_rss = rss_kib(process.pid)
    yield process
    if process.poll() is None:
        process.kill()
    print("\nsurvival figures:", json.dumps(FIGURES, indent=1))


def settled_fds(pid: int) -> int:
    """The descriptor count once it stops changing (0.2 s apart)."""
    def steady():
        first = open_fds(pid)
        time.sleep(0.2)
        return first if open_fds(pid) == first else None
    return wait_for(steady, what="the descriptor count settling")


def idle(process) -> bool:
    """No client connection left: the descriptors are back to the baseline."""
    return open_fds(process.pid) <= process.base_fds


# ---- every abuse, each on a connection of its own -----------------------------------

def login(nick) -> bytes:
    return frame(type="login", nick=nick)


def abuses() -> dict:
    cases = {}
    logged = login("abuser")
    for name, data in INVALID_UTF8.items():
        cases[f"utf8 {name}"] = logged + data
    for data in NOT_JSON + NOT_OBJECTS:
        cases[f"json {data[:20]!r}"] = logged + data + b"\n"
    for name, nick in INVISIBLE_OR_CONTROL.items():
        cases[f"nick {name}"] = login(nick)
    for nick in RESERVED:
        cases[f"reserved {nick}"] = login(nick) + nick.encode() + b"\n"
    for command in COMMANDS_BEFORE_LOGIN:
        cases[f"before login {command}"] = json.dumps(command).encode() + b"\n"
    cases.update({
        "nested 3000": logged + b"[" * 3000 + b"]" * 3000 + b"\n",
        "5000 digits": logged + b'{"type":"ping","id":' + b"9" * 5000 + b"}\n",
        "NaN": logged + b'{"type":"ping","id":NaN}\n',
        "surrogate": logged + b'{"type":"msg","text":"\\ud800"}\n',
        "duplicate keys": logged + b'{"type":"msg","type":"ping"}\n',
        "9 KiB": logged + frame(type="msg", text="x" * 9216),
        "NUL": logged + b"\x00\n" + b'{"type":"msg","text":"\x00"}\n',
        "login twice": logged + logged,
        "down non-admin": logged + frame(type="down"),
        "kick non-admin": logged + frame(type="kick", nick="abuser"),
        "wrong types": logged + frame(type="msg", text=1) + frame(type="ping", id=[]),
        "http": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "tls": client_hello(),
        "half frame then FIN": logged + b'{"type":"msg","te',
        "byte soup": bytes(random.Random(7).randrange(256) for _ in range(5000)),
        "flood 100": logged + frame(type="msg", text="flood") * 100,
        "text flags": b"nc-user\n-to\n-kick\n-login\n-bogus\ndown server\n-exit\n",
    })
    return cases


ABUSES = abuses()


def test_every_abuse_against_one_process(process):
    pair = Pair(process.port)
    answered = 0
    for name, data in ABUSES.items():
        with socket.create_connection(("127.0.0.1", process.port), timeout=5) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            answer = read_until_closed(sock)
        if name == "http":                           # a browser's request: HTTP back
            assert answer.startswith(b"HTTP/1.1 "), answer[:80]
            answered += 1
            continue
        assert answer.endswith(b"\n"), name
        for line in answer.decode().splitlines():     # only the contract's frames
            if line.startswith("{"):
                assert json.loads(line)["type"] in {"welcome", "error", "pong", "msg",
                                                     "bye", "joined", "left"}, name
            else:
                assert line[:1] in ("!", "*", "["), (name, line)
        answered += 1
        assert process.poll() is None, f"the server died on {name}"
    pair.assert_chatting()
    pair.close()
    wait_for(lambda: idle(process), what="every abuser's descriptor closing")
    FIGURES["abuse cases against one process"] = answered


def test_ten_megabytes_without_newline_keep_memory_bounded(process):
    before = rss_kib(process.pid)
    with Peer(process.port) as peer:
        peer.send_raw(b"{")
        block = b"x" * (1024 * 1024)
        for _ in range(10):
            peer.send_raw(block)
        assert peer.recv()["code"] == "line_too_long"
        peer.send_raw(b"\n" + frame(type="ping", id=1))
        assert peer.recv() == {"type": "pong", "id": 1}
        grown = rss_kib(process.pid) - before
    FIGURES["RSS growth after 10 MB without newline (KiB)"] = grown
    assert grown < 2048, f"the server grew by {grown} KiB"


def test_a_thousand_idle_connections_held(process):
    pair = Pair(process.port)
    before = rss_kib(process.pid)
    crowd = []
    try:
        for _ in range(1000):
            sock = socket.create_connection(("127.0.0.1", process.port), timeout=10)
            sock.sendall(b'{"type":"login","nick":"wai')
            crowd.append(sock)
        wait_for(lambda: open_fds(process.pid) == process.base_fds + 1002, timeout=10,
                 what="all 1000 connections being accepted")
        pair.assert_chatting()
        per_connection = (rss_kib(process.pid) - before) / 1000
        FIGURES["idle connections held"] = 1000
        FIGURES["RSS per idle connection (KiB)"] = round(per_connection, 1)
        assert per_connection < 64
    finally:
        for sock in crowd:
            sock.close()
    wait_for(lambda: open_fds(process.pid) == process.base_fds + 2, timeout=10,
             what="the crowd's descriptors closing")
    pair.close()
    wait_for(lambda: idle(process), what="the pair's descriptors closing")


# ---- chaos ---------------------------------------------------------------------------

class Observer(threading.Thread):
    """A user who only reads, and keeps every message it sees."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.peer = Peer(port)
        self.peer.login(fresh_nick("observer"))
        self.seen: list[tuple[str, str]] = []
        self.stop = threading.Event()
        self.failure = None

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    event = self.peer.recv(timeout=0.2)
                except AssertionError:
                    continue     # nothing within 0.2 s
                if event["type"] == "msg":
                    self.seen.append((event["from"], event["text"]))
                elif event["type"] not in ("joined", "left"):
                    raise AssertionError(f"unexpected {event}")
        except Exception as error:   # reported by the test
            self.failure = error


def steady_sender(port: int, stop: threading.Event, sent: list, interval: float):
    peer = Peer(port)
    peer.login(fresh_nick("steady"))
    while not stop.is_set():
        peer.send({"type": "msg", "text": f"seq {len(sent)}"})
        sent.append(f"seq {len(sent)}")
        time.sleep(interval)       # a person's pace: inside the classroom rate limit (1/s)
        drain(peer.sock)           # it reads what it is sent, as a client does
    return peer


def drain(sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        while sock.recv(65536):
            pass
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(5)


def chaos_worker(port: int, until: float, rng: random.Random, tally: dict):
    """Connects, misbehaves in one of many ways, and comes back, until `until`."""
    while time.monotonic() < until:
        action = rng.choice(ACTIONS)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                action(sock, rng)
        except OSError:
            pass   # a reset or timeout of chaos's own making
        tally[action.__name__] = tally.get(action.__name__, 0) + 1


def _chat_and_leave(sock, rng):
    sock.sendall(login(fresh_nick("chaos")) + frame(type="msg", text="hi")
                 + frame(type="logout"))
    read_until_closed(sock, timeout=2)


def _chat_and_reset(sock, rng):
    sock.sendall(login(fresh_nick("chaos")) + frame(type="msg", text="brb") * rng.randint(1, 5))
    time.sleep(rng.random() * 0.1)
    reset(sock)


def _vanish_mid_frame(sock, rng):
    sock.sendall(login(fresh_nick("chaos")) + b'{"type":"msg","text":"cut sh')
    time.sleep(rng.random() * 0.1)
    reset(sock)


def _half_frame_fin(sock, rng):
    sock.sendall(b'{"type":"login","nick":"' + fresh_nick("half").encode())
    sock.shutdown(socket.SHUT_WR)
    read_until_closed(sock, timeout=2)


def _garbage(sock, rng):
    sock.sendall(bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))))
    reset(sock)


def _flood(sock, rng):
    sock.sendall(login(fresh_nick("flood")) + frame(type="msg", text="spam") * 60)
    time.sleep(0.05)
    sock.close()


def _connect_and_vanish(sock, rng):
    reset(sock)


def _text_user(sock, rng):
    sock.sendall(fresh_nick("nc").encode() + b"\nhello\n-users\n-to nobody x\n-exit\n")
    read_until_closed(sock, timeout=2)


ACTIONS = [_chat_and_leave, _chat_and_reset, _vanish_mid_frame, _half_frame_fin,
           _garbage, _flood, _connect_and_vanish, _text_user]


def test_chaos_loses_and_reorders_nothing(process):
    port = process.port
    rss_before = rss_kib(process.pid)
    observers = [Observer(port) for _ in range(3)]
    for observer in observers:
        observer.start()
    stop = threading.Event()
    streams = [[], []]
    senders, sender_peers = [], []
    for sent in streams:
        thread = threading.Thread(
            target=lambda s=sent: sender_peers.append(steady_sender(port, stop, s, 1.05)),
            daemon=True)
        thread.start()
        senders.append(thread)
    until = time.monotonic() + CHAOS_SECONDS
    tally: dict = {}
    workers = [threading.Thread(target=chaos_worker, daemon=True,
                                args=(port, until, random.Random(seed), tally))
               for seed in range(12)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(CHAOS_SECONDS + 15)
    stop.set()
    for thread in senders:
        thread.join(5)
    assert len(sender_peers) == 2
    # Every message of each steady sender reaches every observer once, in order.
    for observer in observers:
        for peer, sent in zip(sender_peers, streams):
            def received():
                return [text for sender, text in list(observer.seen) if sender == peer.nick]
            wait_for(lambda: len(received()) >= len(sent) or observer.failure,
                     timeout=10, what="the last messages arriving")
            time.sleep(0.1)        # a duplicate, if any, would arrive now
            got = received()
            assert got == sent, f"{observer.peer.nick} lost or reordered messages"
        assert observer.failure is None, observer.failure
        observer.stop.set()
    for observer in observers:
        observer.join(2)
    # Nothing left behind: the users are exactly those still here.
    here = {o.peer.nick for o in observers} | {p.nick for p in sender_peers}
    probe = observers[0].peer
    probe.send({"type": "users"})
    assert set(probe.expect("users")["users"]) == here
    for peer in [o.peer for o in observers] + sender_peers:
        peer.close()
    wait_for(lambda: idle(process), timeout=10, what="every chaos connection closing")
    rss_after = rss_kib(process.pid)
    checked = sum(len(sent) for sent in streams) * len(observers)
    FIGURES.update({
        "chaos seconds": CHAOS_SECONDS,
        "chaos client actions": sum(tally.values()),
        "chaos actions by kind": tally,
        "steady messages checked (per observer x observers)": checked,
        "RSS before chaos (KiB)": rss_before,
        "RSS after chaos (KiB)": rss_after,
        "RSS baseline at start (KiB)": process.base_rss,
    })
    assert sum(tally.values()) > 200
    assert rss_after - rss_before < 8 * 1024, f"{rss_after - rss_before} KiB not given back"


def test_the_process_survived_everything(process):
    assert process.poll() is None
    pair = Pair(process.port)
    pair.assert_chatting()
    FIGURES["RSS at the end (KiB)"] = rss_kib(process.pid)
    process.terminate()
    for peer in (pair.alice, pair.bob):
        assert peer.expect("shutdown")["by"] == "server"
    log = stop_server(process, signalled=True)
    assert "Traceback" not in log and "error while handling" not in log
    pair.close()
