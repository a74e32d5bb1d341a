"""Abuse of the framing: odd packet boundaries, huge lines, bytes that are not UTF-8."""

import json
import time

import pytest

from tests.hostile.conftest import error_code, frame, fresh_nick, wait_for

SERVER_SETTINGS = {"rate_limit": 0}   # bursts of messages here are about framing
LIMIT = 8192


def logged_in(abuser):
    peer = abuser()
    peer.login(fresh_nick("abuser"))
    return peer


def test_frames_delivered_byte_by_byte(pair, abuser):
    peer = abuser()
    nick = fresh_nick("slow")
    data = frame(type="login", nick=nick) + frame(type="msg", text="one byte at a time")
    for i in range(len(data)):
        peer.send_raw(data[i:i + 1])
        if i % 8 == 0:
            time.sleep(0.001)   # let some bytes arrive in packets of their own
    assert peer.recv()["type"] == "welcome"
    assert peer.expect("msg")["text"] == "one byte at a time"
    for bystander in (pair.alice, pair.bob):
        pair.next_event(bystander, "msg", **{"from": nick, "text": "one byte at a time"})
    pair.assert_chatting()


def test_fifty_frames_in_one_packet(pair, abuser):
    peer = logged_in(abuser)
    peer.send_raw(b"".join(frame(type="msg", text=f"burst {i}") for i in range(50)))
    for bystander in (peer, pair.alice, pair.bob):
        texts = [pair.next_event(bystander, "msg", **{"from": peer.nick})["text"]
                 for _ in range(50)]
        assert texts == [f"burst {i}" for i in range(50)]
    pair.assert_chatting()


@pytest.mark.parametrize("first", [b"{", b"A"], ids=["json", "text"])
def test_ten_megabytes_without_newline(pair, abuser, server, first):
    peer = abuser()
    conn = None
    chunk = first + b"x" * (1024 * 1024 - 1)
    for i in range(10):
        peer.send_raw(chunk if i == 0 else b"x" * len(chunk))
        if conn is None:
            conn = wait_for(lambda: next((c for c in list(server.server.connections)
                                          if c.port == peer.sock.getsockname()[1]), None),
                            what="the server seeing the connection")
            wait_for(lambda: conn.dialect is not None, what="the server reading it")
        # The server keeps at most one frame of it, however much arrives.
        assert conn.dialect.decoder.buffered <= LIMIT
    # Answered once, in the dialect its first byte chose, and the connection stays open.
    if first == b"{":
        assert error_code(peer) == "line_too_long"
        peer.send_raw(b"\n" + frame(type="ping", id=1))
        assert peer.recv() == {"type": "pong", "id": 1}
    else:
        assert peer.text().startswith("! line_too_long: ")
        peer.send_raw(b"\n-whoami\n")
        assert peer.text().startswith("! not_logged_in: ")
    assert peer.nothing_within(0.2)
    pair.assert_chatting()


def test_nine_kib_frame(pair, abuser):
    peer = logged_in(abuser)
    peer.send(({"type": "msg", "text": "y" * 9 * 1024}))
    assert error_code(peer) == "line_too_long"
    peer.send({"type": "msg", "text": "after the long one"})
    assert peer.expect("msg")["text"] == "after the long one"
    # The long one was never delivered: the next message anyone sees is the short one.
    for bystander in (pair.alice, pair.bob):
        pair.next_event(bystander, "msg", text="after the long one")
    pair.assert_chatting()


def test_frame_limit_counts_every_byte(pair, abuser):
    peer = logged_in(abuser)

    def ping_of(size: int, ending: bytes) -> bytes:
        head = b'{"type":"ping","id":1,"pad":"'
        tail = b'"}' + ending
        return head + b"p" * (size - len(head) - len(tail)) + tail

    peer.send_raw(ping_of(LIMIT, b"\n"))
    assert peer.recv() == {"type": "pong", "id": 1}
    peer.send_raw(ping_of(LIMIT + 1, b"\n"))
    assert error_code(peer) == "line_too_long"
    peer.send_raw(ping_of(LIMIT + 1, b"\r\n"))      # the \r counts too
    assert error_code(peer) == "line_too_long"
    peer.send_raw(ping_of(LIMIT, b"\r\n"))
    assert peer.recv() == {"type": "pong", "id": 1}
    pair.assert_chatting()


INVALID_UTF8 = {
    "lone continuation byte": b'{"type":"msg","text":"a\x80b"}\n',
    "overlong slash": b'{"type":"msg","text":"\xc0\xaf"}\n',
    "overlong NUL": b'{"type":"msg","text":"\xc0\x80"}\n',
    "cut at the newline": b'{"type":"msg","text":"\xe2\x82\n',
    "encoded surrogate": b'{"type":"msg","text":"\xed\xa0\x80"}\n',
    "beyond U+10FFFF": b'{"type":"msg","text":"\xf4\x90\x80\x80"}\n',
    "0xFF byte": b'{"type":"msg","text":"\xff"}\n',
}


@pytest.mark.parametrize("data", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
def test_invalid_utf8(pair, abuser, data):
    peer = logged_in(abuser)
    peer.send_raw(data)
    assert error_code(peer) == "bad_encoding"
    peer.send({"type": "msg", "text": "still here"})
    assert peer.expect("msg")["text"] == "still here"
    for bystander in (pair.alice, pair.bob):
        pair.next_event(bystander, "msg", text="still here")
    pair.assert_chatting()


def test_invalid_utf8_in_the_text_dialect(pair, abuser):
    peer = abuser()
    peer.send_raw(b"caf\xe9\n")           # Latin-1, not UTF-8: refused, not guessed
    assert peer.text().startswith("! bad_encoding: ")
    peer.send_raw("café\n".encode())
    assert peer.text() == "* Welcome, café!"
    pair.assert_chatting()


def test_nul_bytes(pair, abuser):
    peer = logged_in(abuser)
    peer.send_raw(b'{"type":"msg","text":"a\x00b"}\n')     # raw: not allowed in JSON
    assert error_code(peer) == "bad_json"
    peer.send_raw(b"\x00\x00\x00\n")
    assert error_code(peer) == "bad_json"
    peer.send({"type": "msg", "text": "\u0000"})           # escaped: removed, then empty
    assert error_code(peer) == "empty_message"
    peer.send({"type": "msg", "text": "nu\u0000ll"})       # removed from the text
    assert peer.expect("msg")["text"] == "null"
    peer.send({"type": "login", "nick": "a\u0000b"})
    assert error_code(peer) == "already_logged_in"
    fresh = abuser()
    fresh.send({"type": "login", "nick": "a\u0000b"})
    assert error_code(fresh) == "nick_invalid"
    for bystander in (pair.alice, pair.bob):
        assert pair.next_event(bystander, "msg", **{"from": peer.nick})["text"] == "null"
    pair.assert_chatting()


def test_nul_bytes_in_the_text_dialect(pair, abuser):
    peer = abuser()
    peer.send_raw(b"\x00\n")
    assert peer.text().startswith("! nick_invalid: ")
    nick = fresh_nick("nul")
    peer.send_raw(nick.encode() + b"\n")
    assert peer.text() == f"* Welcome, {nick}!"
    peer.send_raw(b"he\x00llo\n")
    for bystander in (pair.alice, pair.bob):
        assert pair.next_event(bystander, "msg", **{"from": nick})["text"] == "hello"
    pair.assert_chatting()


def test_blank_lines_and_crlf_are_fine(pair, abuser):
    peer = abuser()
    peer.send_raw(b"\n\r\n   \n\t\r\n" + json.dumps({"type": "ping", "id": 3}).encode()
                  + b"\r\n")
    assert peer.recv() == {"type": "pong", "id": 3}
    assert peer.nothing_within(0.2)
    pair.assert_chatting()
