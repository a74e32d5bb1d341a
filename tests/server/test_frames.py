"""Framing, encodings, dialects and the protocol errors, over real sockets."""

import json

import pytest


def refusal(peer) -> str:
    frame = peer.recv()
    assert frame["type"] == "error" and frame["message"], frame
    return frame["code"]


def test_frames_split_at_every_byte(login, connect):
    alice = login("alice")
    data = (b'{"type":"login","nick":"bob"}\r\n\n  \n'
            b'{"type":"msg","text":"h\xc3\xa9llo \xf0\x9f\x98\x80"}\n')
    for cut in range(1, len(data)):
        peer = connect()
        peer.send_raw(data[:cut])
        peer.send_raw(data[cut:])
        assert peer.recv()["type"] == "welcome"
        assert peer.recv()["text"] == "héllo 😀"
        peer.send({"type": "logout"})
        peer.recv()
        peer.close()
    frames = [alice.recv() for _ in range(3 * (len(data) - 1))]
    assert [f["type"] for f in frames] == ["joined", "msg", "left"] * (len(data) - 1)


def test_frames_byte_by_byte(connect):
    peer = connect()
    for byte in b'{"type":"login","nick":"slow"}\n{"type":"whoami"}\n':
        peer.send_raw(bytes([byte]))
    assert peer.recv()["type"] == "welcome"
    assert peer.recv()["nick"] == "slow"


def test_many_frames_in_one_packet_are_answered_in_order(login):
    alice = login("alice")
    alice.send_raw(b"".join(b'{"type":"ping","id":%d}\n' % n for n in range(50)))
    assert [alice.recv()["id"] for _ in range(50)] == list(range(50))


def test_line_too_long_is_refused_once_and_the_connection_survives(login):
    alice = login("alice")
    alice.send_raw(b'{"type":"msg","text":"' + b"x" * 9 * 1024 + b'"}\n')
    assert refusal(alice) == "line_too_long"
    alice.send_raw(b"y" * 100_000)                     # still no newline: one error only
    alice.send_raw(b"yyy\n" + b'{"type":"msg","text":"after"}\n')
    assert refusal(alice) == "line_too_long"
    assert alice.recv()["text"] == "after"


def test_the_frame_limit_counts_the_newline(login):
    alice = login("alice")

    def ping(size: int) -> bytes:
        head, tail = b'{"type":"ping","id":1,"pad":"', b'"}\n'
        return head + b"a" * (size - len(head) - len(tail)) + tail

    alice.send_raw(ping(8192))
    assert alice.recv() == {"type": "pong", "id": 1}
    alice.send_raw(ping(8193))
    assert refusal(alice) == "line_too_long"


@pytest.mark.parametrize("raw", [
    b"\x80",                          # a lone continuation byte
    b"\xc0\xaf",                      # an overlong encoding of "/"
    b"\xed\xa0\x80",                  # a UTF-16 surrogate encoded in UTF-8
    b"caf\xc3",                       # a character cut at the newline
])
def test_invalid_utf8_is_bad_encoding_and_dropped(login, raw):
    alice = login("alice")
    alice.send_raw(b'{"type":"msg","text":"' + raw + b'"}\n')
    assert refusal(alice) == "bad_encoding"
    alice.send({"type": "msg", "text": "fine"})
    assert alice.recv()["text"] == "fine"


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "bad_json"),
    (b'{"type":"ping","id":NaN}', "bad_json"),
    (b"[1, 2]", "bad_frame"),
    (b'{"kind":"msg"}', "bad_frame"),
    (b'{"type":"msg","text":7}', "bad_frame"),
    (b'{"type":"msg","text":"\\ud83d"}', "bad_frame"),
    (b'{"type":"fly"}', "unknown_type"),
])
def test_json_refusals_keep_the_connection(login, raw, code):
    alice = login("alice")
    alice.send_raw(raw + b"\n")
    assert refusal(alice) == code
    alice.send({"type": "whoami"})
    assert alice.recv()["nick"] == "alice"


def test_the_first_non_blank_byte_decides_the_dialect(connect):
    json_peer = connect()
    json_peer.send_raw(b"\n   \n" + b'  {"type":"ping","id":1}\n')
    assert json_peer.recv() == {"type": "pong", "id": 1}
    json_peer.send_raw(b"alice\n")                      # still JSON: not a nickname
    assert refusal(json_peer) == "bad_json"

    text_peer = connect()
    text_peer.send_raw(b"\r\n  \r\nbob\r\n")
    assert text_peer.text().startswith("* Welcome, bob!")


def test_an_over_long_first_line_still_decides_the_dialect(connect):
    json_peer = connect()
    json_peer.send_raw(b'{"type":"msg","text":"' + b"x" * 9000 + b'"}\n')
    assert refusal(json_peer) == "line_too_long"
    text_peer = connect()
    text_peer.send_raw(b"x" * 9000 + b"\n")
    assert text_peer.text().startswith("! line_too_long:")


def test_invalid_utf8_first_line_of_a_text_user(connect):
    peer = connect()
    peer.send_raw(b"\xff\xfe nick\n")
    assert peer.text().startswith("! bad_encoding:")
    peer.send_raw("Zoë\n".encode())
    assert peer.text().startswith("* Welcome, Zoë!")


def test_text_and_json_users_chat_together(login, connect):
    alice = login("alice")
    bob = connect()
    bob.send_raw(b"bob\n")
    welcome = [bob.text() for _ in range(3)]
    assert welcome[0] == "* Welcome, bob!"
    assert welcome[1] == "* Online (2): alice, bob"
    assert alice.recv()["nick"] == "bob"

    bob.send_raw("hello from nc 👋\n".encode())
    assert alice.recv()["text"] == "hello from nc 👋"
    assert bob.text().endswith("] bob: hello from nc 👋")

    alice.send({"type": "msg", "text": "hi bob", "to": "bob"})
    assert bob.text().endswith("] alice -> bob: hi bob")
    assert alice.recv()["to"] == "bob"                  # alice's own echo
    bob.send_raw(b"-to alice psst\n")
    private = alice.recv()
    assert (private["from"], private["to"], private["text"]) == ("bob", "alice", "psst")
    assert bob.text().endswith("] bob -> alice: psst")


def test_text_dialect_commands_and_errors(server, connect):
    peer = connect()
    peer.send_raw(b"-users\n")
    assert peer.text().startswith("! not_logged_in:")
    peer.send_raw(b"bad nick\n")
    assert peer.text().startswith("! nick_invalid:")
    peer.send_raw(b"-login carol wrongpw\n")
    assert peer.text().startswith("! bad_password:")
    peer.send_raw(("-login carol " + server.admin_password + "\n").encode())
    assert peer.text() == "* Welcome, carol! You are an admin."
    peer.text(), peer.text()
    for line, expected in [(b"-whoami", "* You are carol (admin)"),
                           (b"-users", "* Online (1): carol (admin)"),
                           (b"-to", "! bad_frame: Usage: -to NICK TEXT"),
                           (b"-nope", "! unknown_type: Unknown flag -nope; -help lists them. To send this "
                                          "line as a message, start it with -all: -all -nope"),
                           (b"-to ghost hi", "! no_such_user: Nobody called ghost is online."),
                           (b"-kick ghost", "! no_such_user: Nobody called ghost is online."),
                           (b"-exit", "* Bye!")]:
        peer.send_raw(line + b"\n")
        assert peer.text() == expected
    assert peer.closed_by_server()


def test_text_dialect_help_lists_the_flags(login, connect):
    peer = connect()
    peer.send_raw(b"-help\n")
    from protocol.text_codec import HELP_LINES
    lines = [peer.text() for _ in HELP_LINES]
    for flag in ("-all", "-to", "-users", "-whoami", "-exit", "-kick", "down server"):
        assert any(flag in line for line in lines), flag


def test_error_frames_are_json_until_the_dialect_is_known(connect):
    peer = connect()
    peer.send_raw(b"\xff{\n")                           # not "{" first: text dialect
    assert peer.text().startswith("! bad_encoding")
    other = connect()
    other.send_raw(b"{\xff\n")
    assert json.loads(other.line())["code"] == "bad_encoding"
