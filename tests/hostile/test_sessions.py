"""Abuse of the conversation: wrong order, wrong protocol, and reaching for admin powers."""

import logging
import socket
import ssl

import pytest

from tests.hostile.conftest import (
    Pair, error_code, fresh_nick, read_until_closed, reset,
)
from tests.support import Peer, run_server


def test_login_twice(pair, abuser, server):
    peer = abuser()
    nick = peer.login(fresh_nick("twice"))["nick"]
    peer.send({"type": "login", "nick": fresh_nick("other")})
    assert error_code(peer) == "already_logged_in"
    # Not even the admin password upgrades a logged-in user.
    peer.send({"type": "login", "nick": nick, "password": server.admin_password})
    assert error_code(peer) == "already_logged_in"
    peer.send({"type": "whoami"})
    assert peer.recv() == {"type": "whoami", "nick": nick, "admin": False}
    pair.assert_chatting()


COMMANDS_BEFORE_LOGIN = [
    {"type": "msg", "text": "sneaky"},
    {"type": "msg", "text": "sneaky", "to": "alice"},
    {"type": "users"}, {"type": "whoami"}, {"type": "logout"},
    {"type": "down", "reason": "sneaky"}, {"type": "kick", "nick": "alice"},
]


def test_commands_before_login(pair, abuser):
    peer = abuser()
    for command in COMMANDS_BEFORE_LOGIN:
        peer.send(command)
        assert error_code(peer) == "not_logged_in", command
    peer.send({"type": "ping", "id": 9})              # the one thing allowed
    assert peer.recv() == {"type": "pong", "id": 9}
    text = abuser()
    for line in [b"-users", b"-whoami", b"-exit",
                 b"-kick " + pair.alice.nick.encode(), b"-to " + pair.bob.nick.encode() + b" hi"]:
        text.send_raw(line + b"\n")
        assert text.text().startswith("! not_logged_in: "), line
    for line in [b"down server", b"down server now"]:   # before login: a (bad) nickname
        text.send_raw(line + b"\n")
        assert text.text().startswith("! nick_invalid: "), line
    assert pair.alice.nothing_within(0.2) and pair.bob.nothing_within(0.01)
    pair.assert_chatting()


@pytest.mark.parametrize("how", ["logout", "close", "reset"])
def test_private_message_to_a_user_who_just_left(pair, abuser, how):
    carol = abuser()
    nick = carol.login(fresh_nick("carol"))["nick"]
    if how == "logout":
        carol.send({"type": "logout"})
        assert carol.recv()["type"] == "bye"
    elif how == "close":
        carol.close()
    else:
        reset(carol.sock)
    pair.next_event(pair.alice, "left", nick=nick)
    pair.next_event(pair.bob, "left", nick=nick)
    pair.alice.send({"type": "msg", "text": "are you there?", "to": nick})
    assert pair.next_event(pair.alice, "error")["code"] == "no_such_user"
    # The name is free again, and the newcomer does not get the old private message.
    again = abuser()
    again.login(nick)
    assert again.nothing_within(0.2)
    pair.assert_chatting()


def test_private_message_racing_a_reset(pair, abuser):
    # The recipient vanishes while messages to it are in flight: each is either delivered
    # or refused with no_such_user, and the sender's stream stays in order.
    carol = abuser()
    nick = carol.login(fresh_nick("carol"))["nick"]
    pair.next_event(pair.alice, "joined", nick=nick)
    pair.alice.send_raw(b"".join(
        b'{"type":"msg","to":"%s","text":"race %d"}\n' % (nick.encode(), i)
        for i in range(30)))
    reset(carol.sock)
    seen = []
    while len(seen) < 30:
        event = pair.alice.recv()
        if event["type"] == "msg":
            seen.append(int(event["text"].split()[1]))
        elif event["type"] == "error":
            assert event["code"] == "no_such_user"
            seen.append(None)
        else:
            assert event == {**event, "type": "left", "nick": nick}
    delivered = [i for i in seen if i is not None]
    assert delivered == list(range(len(delivered)))
    assert all(i is None for i in seen[len(delivered):])
    pair.assert_chatting()


def test_http_request_to_the_chat_port(pair, abuser):
    """A browser (or curl) on the chat port speaks HTTP and gets HTTP answers."""
    peer = abuser()
    peer.send_raw(b"GET /no-such-page HTTP/1.1\r\nHost: localhost:5050\r\n"
                  b"User-Agent: curl/8\r\nAccept: */*\r\n\r\n")
    assert peer.text() == "HTTP/1.1 404 Not Found\r"
    head = []
    while (line := peer.text()) != "\r":
        head.append(line.lower())
    assert any(h.startswith("content-security-policy: default-src 'self'") for h in head)
    assert peer.text().startswith("404 No such page")
    # The connection stays for the next request (keep-alive); "close" closes it.
    peer.send_raw(b"GET /no-such-page HTTP/1.1\r\nHost: localhost:5050\r\n"
                  b"Connection: close\r\n\r\n")
    assert peer.text() == "HTTP/1.1 404 Not Found\r"
    assert peer.closed_by_server()
    assert pair.alice.nothing_within(0.05)
    pair.assert_chatting()


def client_hello() -> bytes:
    """The first bytes a real TLS client sends."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="chat.example")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_tls_client_hello_to_the_chat_port(pair, abuser):
    hello = client_hello()
    assert hello[0] == 0x16
    peer = abuser()
    peer.send_raw(hello)
    peer.sock.shutdown(socket.SHUT_WR)   # the TLS client waits; then gives up
    answer = read_until_closed(peer.sock)
    lines = answer.decode().splitlines()
    # Every piece between newlines is a refused text-dialect line; nothing else.
    assert lines and all(line.startswith(("! bad_encoding: ", "! nick_invalid: "))
                         for line in lines), lines
    assert len(lines) == hello.count(b"\n") + 1
    pair.assert_chatting()


def test_down_and_kick_from_a_non_admin(pair, abuser, server):
    peer = abuser()
    peer.login(fresh_nick("mallory"))
    peer.send({"type": "down", "reason": "bye all"})
    assert error_code(peer) == "forbidden"
    peer.send({"type": "kick", "nick": pair.bob.nick, "reason": "ha"})
    assert error_code(peer) == "forbidden"
    peer.send({"type": "kick", "nick": "nobody-here"})
    assert error_code(peer) == "forbidden"          # no probing who is online either
    text = abuser()
    text.send_raw(fresh_nick("eve").encode() + b"\n")
    assert text.text().startswith("* Welcome, ")
    for line in [b"down server", b"down server now"]:   # from a student: just words
        text.send_raw(line + b"\n")
        while not text.text().endswith(": " + line.decode()):
            pass   # past the welcome's lines; text() fails if the message never comes
    text.send_raw(b"-kick " + pair.bob.nick.encode() + b"\n")
    assert next_refusal(text).startswith("! forbidden: ")
    # Nothing changed: the server runs and bob is still here.
    assert server.thread.is_alive() and server.server.room.shutdown_request is None
    pair.assert_chatting()


def next_refusal(peer: Peer) -> str:
    """The next `! ...` line of a text-dialect peer, past welcome and chat lines."""
    while True:
        line = peer.text()
        if line.startswith("! "):
            return line
        assert line.startswith(("* ", "[")), line


def test_admin_flags_cannot_be_forged(pair, abuser):
    for extra in [{"admin": True}, {"password": ""}, {"password": None},
                  {"admin": True, "password": None}, {"password": "", "admin": "yes"}]:
        peer = abuser()
        peer.send({"type": "login", "nick": fresh_nick("wannabe"), **extra})
        assert peer.recv()["admin"] is False
        peer.send({"type": "whoami"})
        assert peer.recv()["admin"] is False
        peer.send({"type": "down"})
        assert error_code(peer) == "forbidden"
    pair.assert_chatting()


def test_message_flood_is_rate_limited(pair, abuser):
    peer = abuser()
    peer.login(fresh_nick("flood"))
    peer.send_raw(b"".join(b'{"type":"msg","text":"flood %d"}\n' % i for i in range(200)))
    delivered, limited = [], 0
    while len(delivered) + limited < 200:
        event = peer.recv()
        if event["type"] == "msg":
            delivered.append(event["text"])
        else:
            assert event["type"] == "error" and event["code"] == "rate_limited", event
            limited += 1
    assert 40 <= len(delivered) < 60 and limited > 140
    for bystander in (pair.alice, pair.bob):
        got = [pair.next_event(bystander, "msg", **{"from": peer.nick})["text"]
               for _ in delivered]
        assert got == delivered
    pair.assert_chatting()


# ---- brute force: a server of its own, as the lock-out is per address ------------

def test_admin_password_brute_force(caplog):
    caplog.set_level(logging.DEBUG)
    with run_server(admin_password="correct horse") as server:
        pair = Pair(server.port)
        guesses = [f"guess{i}" for i in range(5)]
        kept = Peer(server.port)
        for guess in guesses[:4]:
            kept.send({"type": "login", "nick": fresh_nick("root"), "password": guess})
            assert error_code(kept) == "bad_password"
        kept.send({"type": "whoami"})                   # still there, still logged out
        assert error_code(kept) == "not_logged_in"
        kept.send({"type": "login", "nick": "root", "password": guesses[4]})
        assert error_code(kept) == "bad_password"
        assert read_until_closed(kept.sock) == b""      # the fifth closes the connection
        # Locked out for the rest of the minute, even with the right password ...
        for password in ["correct horse", "guess5"]:
            with Peer(server.port) as late:
                late.send({"type": "login", "nick": "root", "password": password})
                assert error_code(late) == "locked_out"
                assert read_until_closed(late.sock) == b""
        # ... but only for the nicks that guessed from that address: a teacher who
        # shares the address (a lab machine) still gets in under their own nick,
        with Peer(server.port) as teacher:
            assert teacher.login("Mrs.Lee", "correct horse")["admin"] is True
        # and logins without a password work.
        with Peer(server.port) as plain:
            assert plain.login(fresh_nick("plain"))["admin"] is False
        with socket.create_connection(("127.0.0.1", server.port),
                                      source_address=("127.0.0.2", 0)) as sock:
            other = Peer.over(sock)
            assert other.login("teacher", "correct horse")["admin"] is True
        pair.assert_chatting()
        pair.close()
    logged = caplog.text
    assert "correct horse" not in logged
    assert not any(guess in logged for guess in guesses)
    assert "wrong admin password" in logged
    # One line for the burst and one for the lock, not one per guess.
    assert logged.count("wrong admin password") == 2, logged
