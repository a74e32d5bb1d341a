import json

import pytest

from protocol import json_codec
from protocol.errors import ProtocolError
from protocol.events import (
    NO_ID, AskUsers, AskWhoami, Bye, Down, Error, Identity, Joined, Kick, Left, Login,
    Logout, Message, Ping, Pong, Say, Shutdown, Unknown, UserList, Welcome,
)


def command(frame) -> object:
    raw = frame if isinstance(frame, bytes) else json.dumps(frame).encode()
    return json_codec.decode_command(raw)


def refusal(frame) -> str:
    with pytest.raises(ProtocolError) as refused:
        command(frame)
    assert refused.value.message
    return refused.value.code


def test_every_client_frame_type_decodes():
    assert command({"type": "login", "nick": "al"}) == Login("al")
    assert command({"type": "login", "nick": "al", "password": "pw"}) == Login("al", "pw")
    assert command({"type": "msg", "text": "hi"}) == Say("hi")
    assert command({"type": "msg", "text": "hi", "to": None}) == Say("hi")
    assert command({"type": "msg", "text": "hi", "to": "bob"}) == Say("hi", "bob")
    assert command({"type": "users"}) == AskUsers()
    assert command({"type": "whoami"}) == AskWhoami()
    assert command({"type": "logout"}) == Logout()
    assert command({"type": "ping"}) == Ping(NO_ID)
    assert command({"type": "ping", "id": 7}) == Ping(7)
    assert command({"type": "ping", "id": "x"}) == Ping("x")
    assert command({"type": "down"}) == Down(None)
    assert command({"type": "down", "reason": "bye"}) == Down("bye")
    assert command({"type": "kick", "nick": "bob", "reason": "spam"}) == Kick("bob", "spam")


def test_empty_or_null_password_means_none():
    assert command({"type": "login", "nick": "al", "password": ""}) == Login("al")
    assert command({"type": "login", "nick": "al", "password": None}) == Login("al")


def test_unknown_fields_are_ignored():
    assert command({"type": "users", "colour": "blue", "n": [1, {}]}) == AskUsers()


@pytest.mark.parametrize("raw, code", [
    (b"hello", "bad_json"),
    (b'{"type":"ping"', "bad_json"),
    (b'{"type":"ping","id":NaN}', "bad_json"),
    (b'{"type":"ping","id":Infinity}', "bad_json"),
    (b'{"type":"ping","id":-Infinity}', "bad_json"),
    (b"[" * 3000 + b"]" * 3000, "bad_json"),
    (b"[]", "bad_frame"),
    (b'"login"', "bad_frame"),
    (b"42", "bad_frame"),
    (b"null", "bad_frame"),
    (b"{}", "bad_frame"),
    (b'{"type":5}', "bad_frame"),
    (b'{"type":null}', "bad_frame"),
    (b'{"type":"teleport"}', "unknown_type"),
    (b'{"type":"LOGIN","nick":"x"}', "unknown_type"),
    (b'{"type":"msg","text":"\\ud800"}', "bad_frame"),
    (b'{"type":"login","nick":"a\\udfff"}', "bad_frame"),
    (b'{"type":"msg","text":"\xff"}', "bad_encoding"),
    (b'{"type":"msg","text":"\xc0\xaf"}', "bad_encoding"),
    (b'{"type":"msg","text":"\xe2\x82"}', "bad_encoding"),
    (b'{"type":"msg","text":"a\x00b"}', "bad_json"),   # a raw control character
])
def test_refusals(raw, code):
    assert refusal(raw) == code


@pytest.mark.parametrize("frame", [
    {"type": "login"}, {"type": "login", "nick": None}, {"type": "login", "nick": 5},
    {"type": "login", "nick": "a", "password": 5},
    {"type": "msg"}, {"type": "msg", "text": None}, {"type": "msg", "text": ["hi"]},
    {"type": "msg", "text": "hi", "to": 3}, {"type": "msg", "text": "hi", "to": {}},
    {"type": "ping", "id": 1.5}, {"type": "ping", "id": True}, {"type": "ping", "id": [1]},
    {"type": "down", "reason": 1}, {"type": "kick"}, {"type": "kick", "nick": None},
    {"type": "kick", "nick": "bob", "reason": False},
])
def test_missing_or_wrongly_typed_fields_are_bad_frame(frame):
    assert refusal(frame) == "bad_frame"


def test_a_huge_number_in_an_unknown_field_is_ignored_and_as_id_refused():
    assert command(b'{"type":"users","n":' + b"9" * 5000 + b"}") == AskUsers()
    assert refusal(b'{"type":"ping","id":' + b"9" * 5000 + b"}") == "bad_frame"


def test_duplicate_keys_last_one_wins():
    assert command(b'{"type":"msg","text":"a","text":"b"}') == Say("b")


EVENTS = [
    Message(1, 1700000000000, "alice", None, "hi ✓ Привет 😀"),
    Message(2, 1700000000001, "alice", "bob", "line\nbreak"),
    Welcome("bob", ("alice", "bob"), False,
            (Message(1, 1700000000000, "alice", None, "hi"),), "classchat/1.0"),
    Welcome("t", ("bob", "t"), True, (), "classchat/1.0", ("t",)),
    Joined("bob", 1), Joined("t", 1, True), Left("bob", "quit", 2),
    Left("bob", "kicked", 3, "spam"), UserList(("a", "b")), UserList(("a", "b"), ("b",)), Identity("a", True), Pong(NO_ID), Pong(5), Pong("x"), Pong(None),
    Error("nick_taken", "Taken."), Bye("logout"), Bye("kicked", "spam"),
    Shutdown("server", ""), Shutdown("alice", "lesson over"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_events_round_trip(event):
    line = json_codec.encode_event(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json_codec.decode_event(line[:-1]) == event


def test_wire_field_names_follow_the_contract():
    wire = json.loads(json_codec.encode_event(Message(3, 4, "a", None, "t")))
    assert wire == {"type": "msg", "id": 3, "ts": 4, "from": "a", "to": None, "text": "t",
                    "seq": 0}
    assert json.loads(json_codec.encode_event(Left("a", "quit", 9))) == {
        "type": "left", "nick": "a", "reason": "quit", "ts": 9, "seq": 0}
    assert json.loads(json_codec.encode_event(Pong(NO_ID))) == {"type": "pong"}
    assert json.loads(json_codec.encode_event(Joined("t", 5, True))) == {
        "type": "joined", "nick": "t", "ts": 5, "admin": True, "seq": 0}
    assert json.loads(json_codec.encode_event(Identity("a", False))) == {
        "type": "whoami", "nick": "a", "admin": False}


def test_non_ascii_is_sent_as_utf8_not_escaped():
    assert "Привет".encode() in json_codec.encode_event(Message(1, 1, "a", None, "Привет"))


@pytest.mark.parametrize("cmd", [
    Login("al"), Login("al", "pw"), Say("hi"), Say("hi", "bob"), AskUsers(), AskWhoami(),
    Logout(), Ping(NO_ID), Ping(3), Down(None), Down("r"), Kick("bob"), Kick("bob", "r"),
], ids=repr)
def test_commands_round_trip(cmd):
    assert json_codec.decode_command(json_codec.encode_command(cmd)[:-1]) == cmd


def test_clients_ignore_unknown_event_types_and_fields():
    assert json_codec.decode_event(b'{"type":"typing","nick":"a"}') == Unknown("typing")
    assert json_codec.decode_event(b'{"type":"joined","nick":"a","ts":1,"x":2}') == Joined("a", 1)


def test_help_has_no_json_frame_and_sending_one_is_our_mistake_not_the_peers():
    from protocol.errors import LocalProtocolError
    from protocol.events import Help, HelpText
    with pytest.raises(LocalProtocolError):
        json_codec.encode_command(Help())
    assert json_codec.encode_event(HelpText(("a line",))) == b""
