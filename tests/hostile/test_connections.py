"""Abuse of the connection itself: half-closes, resets, readers that never read,
crowds that never finish a frame, and sockets that fail while the server writes."""

import errno
import json
import socket
import time

import pytest

from tests.hostile.conftest import (
    BYSTANDER_LATENCY, Pair, error_code, frame, fresh_nick, read_until_closed, reset,
    wait_for,
)
from tests.support import Peer, run_server

SERVER_SETTINGS = {"rate_limit": 0}


def connection_of(server, peer: Peer):
    """The server's Connection for `peer` (matched by the client's port)."""
    port = peer.sock.getsockname()[1]
    return wait_for(lambda: next((c for c in list(server.server.connections)
                                  if c.port == port), None),
                    what="the server seeing the connection")


def test_half_close_still_gets_its_answers(pair, abuser):
    peer = abuser()
    nick = fresh_nick("halfclose")
    # The last line has no newline: at end of stream it is still a frame.
    peer.send_raw(frame(type="login", nick=nick) + frame(type="msg", text="and goodbye")
                  + b'{"type":"ping","id":"last"}')
    peer.sock.shutdown(socket.SHUT_WR)
    lines = [json.loads(line) for line in read_until_closed(peer.sock).splitlines()]
    assert [line["type"] for line in lines] == ["welcome", "msg", "pong"]
    assert lines[2] == {"type": "pong", "id": "last"}
    for bystander in (pair.alice, pair.bob):
        pair.next_event(bystander, "msg", **{"from": nick, "text": "and goodbye"})
        assert pair.next_event(bystander, "left", nick=nick)["reason"] == "disconnected"
    pair.assert_chatting()


def test_half_close_of_a_text_client(pair, abuser):
    peer = abuser()
    nick = fresh_nick("nc")
    peer.send_raw(nick.encode() + b"\nhello from nc\n-whoami")
    peer.sock.shutdown(socket.SHUT_WR)
    lines = read_until_closed(peer.sock).decode().splitlines()
    assert lines[0] == f"* Welcome, {nick}!" and lines[-1] == f"* You are {nick}"
    pair.next_event(pair.bob, "msg", **{"from": nick, "text": "hello from nc"})
    pair.assert_chatting()


def test_reset_mid_frame(pair, abuser):
    peer = abuser()
    nick = peer.login(fresh_nick("resetter"))["nick"]
    peer.send_raw(b'{"type":"msg","text":"never fini')
    time.sleep(0.05)   # let the half frame reach the server before the reset
    reset(peer.sock)
    for bystander in (pair.alice, pair.bob):
        # The half message is never delivered: after the arrival comes the departure.
        assert departure_of(bystander, nick)["reason"] == "disconnected"
    pair.assert_chatting()


def departure_of(bystander: Peer, nick: str) -> dict:
    """Events about `nick` up to its `left`: it joins, maybe, and leaves, saying nothing."""
    while True:
        event = bystander.recv()
        assert event["type"] in ("joined", "left") and event["nick"] == nick, event
        if event["type"] == "left":
            return event


def test_fin_mid_frame(pair, abuser):
    peer = abuser()
    nick = peer.login(fresh_nick("quitter"))["nick"]
    peer.send_raw(b'{"type":"msg","text":"never fini')
    peer.sock.shutdown(socket.SHUT_WR)
    # The cut line is handled as the last frame: not JSON, and the answer still goes out.
    assert error_code(peer) == "bad_json"
    assert read_until_closed(peer.sock) == b""
    for bystander in (pair.alice, pair.bob):
        assert departure_of(bystander, nick)["reason"] == "disconnected"
    pair.assert_chatting()


def test_recipient_disconnects_in_the_middle_of_a_broadcast(pair, abuser, server):
    sender = abuser()
    sender.login(fresh_nick("sender"))
    listeners = [abuser() for _ in range(4)]
    for listener in listeners:
        listener.login(fresh_nick("listener"))
    victim = listeners[1]
    count = 300
    sender.send_raw(b"".join(frame(type="msg", text=f"wave {i}") for i in range(count)))
    for _ in range(10):
        victim.expect("msg")
    reset(victim.sock)
    survivors = [sender, pair.alice, pair.bob] + listeners[:1] + listeners[2:]
    for peer in survivors:
        texts, left = [], None
        while len(texts) < count or left is None:
            event = peer.recv()
            if event["type"] == "msg" and event["from"] == sender.nick:
                texts.append(event["text"])
            elif event["type"] == "left" and event["nick"] == victim.nick:
                left = event
        assert texts == [f"wave {i}" for i in range(count)]   # once each, in order
        assert left["reason"] == "disconnected"
    wait_for(lambda: victim.nick not in server.room.users, what="the victim leaving")
    pair.assert_chatting()


@pytest.mark.parametrize("failure", [BrokenPipeError(errno.EPIPE, "Broken pipe"),
                                     ConnectionResetError(errno.ECONNRESET, "reset")],
                         ids=["EPIPE", "ECONNRESET"])
def test_send_failure_during_a_flush_ends_only_that_connection(pair, abuser, server,
                                                                failure):
    victim = abuser()
    nick = victim.login(fresh_nick("victim"))["nick"]
    pair.next_event(pair.alice, "joined", nick=nick)
    conn = connection_of(server, victim)
    conn.sock = _FailingSend(conn.sock, failure)
    pair.alice.send({"type": "msg", "text": "to everyone, victim included"})
    for bystander in (pair.alice, pair.bob):
        pair.next_event(bystander, "msg", text="to everyone, victim included")
        assert pair.next_event(bystander, "left", nick=nick)["reason"] == "disconnected"
    assert read_until_closed(victim.sock) == b""
    assert conn.closed and conn not in server.server.connections
    pair.assert_chatting()


class _FailingSend:
    """A socket whose `send` fails as a peer that vanished makes it fail."""

    def __init__(self, sock, error: OSError):
        self._sock = sock
        self._error = error

    def send(self, data):
        raise self._error

    def __getattr__(self, name):
        return getattr(self._sock, name)


def small_window_peer(port: int) -> Peer:
    """A peer whose socket can hold little unread data: its server fills up fast."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return Peer.over(sock)


def test_reset_while_the_server_waits_to_write(pair, abuser, server):
    victim = small_window_peer(server.port)
    try:
        nick = victim.login(fresh_nick("stuck"))["nick"]
        conn = connection_of(server, victim)
        talker = abuser()
        talker.login(fresh_nick("talker"))
        line = "z" * 1900
        for _ in range(5000):                   # bounded: ~10 MB at most
            talker.send({"type": "msg", "text": line, "to": nick})
            talker.expect("msg")
            if conn.writing:
                break
        assert conn.writing, "the server never had to wait to write"
        reset(victim.sock)
        for bystander in (pair.alice, pair.bob, talker):
            assert pair.next_event(bystander, "left", nick=nick)["reason"] == "disconnected"
        wait_for(lambda: conn.closed, what="the connection closing")
    finally:
        victim.close()
    pair.assert_chatting()


def test_client_that_never_reads_is_dropped_and_nobody_slows_down():
    with run_server(rate_limit=0, max_output=64 * 1024) as server:
        pair = Pair(server.port)
        sloth = small_window_peer(server.port)
        nick = sloth.login(fresh_nick("sloth"))["nick"]
        talker = Peer(server.port)
        talker.login(fresh_nick("talker"))
        text = "w" * 1900
        worst, sent, dropped = 0.0, 0, None
        while dropped is None and sent < 3000:  # ~6 MB at most
            started = time.monotonic()
            talker.send_raw(frame(type="msg", text=text) * 20)
            sent += 20
            for peer in (talker, pair.alice, pair.bob):
                got = 0
                while got < 20:
                    event = peer.recv()
                    if event["type"] == "msg":
                        got += 1
                    elif event["type"] == "left":
                        assert event["nick"] == nick and event["reason"] == "dropped"
                        dropped = event
            worst = max(worst, time.monotonic() - started)
        assert dropped, f"{sent} messages sent and the sloth was never dropped"
        assert worst < BYSTANDER_LATENCY, f"a batch took {worst:.2f} s to reach everyone"
        # The sloth gets what fitted in its socket, then `bye` if it could take it, then
        # the end; every complete line it got is a whole frame.
        lines = read_until_closed(sloth.sock, timeout=10).split(b"\n")
        frames = [json.loads(line) for line in lines[:-1]]
        assert {f["type"] for f in frames} <= {"joined", "msg", "bye"}
        assert all(f == {"type": "bye", "reason": "dropped"}
                   for f in frames if f["type"] == "bye")
        assert nick not in server.room.users
        pair.assert_chatting()
        talker.close()
        pair.close()
        sloth.close()


def test_three_hundred_connections_sending_half_a_frame():
    with run_server(login_timeout=3.0) as server:
        pair = Pair(server.port)
        crowd = []
        try:
            for _ in range(300):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                sock.sendall(b'{"type":"login","nick":"slow')
                crowd.append(sock)
            wait_for(lambda: len(server.server.connections) == 302,
                     what="all 300 connections being held")
            pair.assert_chatting()          # the crowd waits; the pair does not
            # Each in turn runs out of time to log in: told `bye` `timeout`, then closed.
            for sock in crowd:
                answer = read_until_closed(sock, timeout=10)
                assert json.loads(answer) == {"type": "bye", "reason": "timeout"}
            wait_for(lambda: len(server.server.connections) == 2,
                     what="the crowd's connections closing")
            pair.assert_chatting()
        finally:
            for sock in crowd:
                sock.close()
            pair.close()


class _Cramped:
    """A socket whose kernel takes the first 50 bytes of a frame, then nothing more
    until the server's last words (`bye`), as a slow reader's socket might."""

    def __init__(self, sock):
        self._sock = sock
        self.stalled = False

    def send(self, data):
        if not self.stalled:
            self.stalled = True
            return self._sock.send(bytes(data[:50]))
        if b'"bye"' in data:
            return self._sock.send(data)
        raise BlockingIOError

    def __getattr__(self, name):
        return getattr(self._sock, name)


def test_dropped_client_gets_whole_frames_then_bye():
    with run_server(rate_limit=0, max_output=64 * 1024) as server:
        pair = Pair(server.port)
        victim = Peer(server.port)
        nick = victim.login(fresh_nick("cramped"))["nick"]
        conn = connection_of(server, victim)
        conn.sock = _Cramped(conn.sock)
        talker = Peer(server.port)
        talker.login(fresh_nick("talker"))
        for _ in range(100):                       # ~190 KB: past the 64 KiB limit
            talker.send({"type": "msg", "text": "q" * 1900, "to": nick})
        assert pair.next_event(pair.alice, "left", nick=nick)["reason"] == "dropped"
        received = read_until_closed(victim.sock)
        assert received.endswith(b"\n"), received[-80:]
        frames = [json.loads(line) for line in received.splitlines()]
        assert frames[-1] == {"type": "bye", "reason": "dropped"}
        pair.assert_chatting()
        for peer in (talker, victim):
            peer.close()
        pair.close()
