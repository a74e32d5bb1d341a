"""Abuse of the JSON dialect: frames that are JSON-ish, huge, deep, or the wrong shape."""

import pytest

from tests.hostile.conftest import error_code, fresh_nick


@pytest.fixture
def peer(abuser):
    """A logged-in abuser: the JSON dialect is settled by its login."""
    peer = abuser()
    peer.login(fresh_nick("abuser"))
    return peer


def assert_refused(peer, data: bytes, code: str) -> None:
    peer.send_raw(data)
    assert error_code(peer) == code, data[:80]


def assert_still_serves(peer, pair) -> None:
    peer.send({"type": "ping", "id": "alive"})
    assert peer.recv() == {"type": "pong", "id": "alive"}
    pair.assert_chatting()


NOT_OBJECTS = [b"[]", b'["type","msg"]', b'"msg"', b"42", b"null", b"true", b"[[[]]]"]


@pytest.mark.parametrize("data", NOT_OBJECTS)
def test_json_that_is_not_an_object(pair, peer, data):
    assert_refused(peer, data + b"\n", "bad_frame")
    assert_still_serves(peer, pair)


NOT_JSON = [b"{", b"{}}", b"{'type': 'ping'}", b'{"type":"ping",}', b"{type:ping}",
            b'{"type":"ping"} {"type":"ping"}', b'{"type":"msg","text":"\\x41"}']


@pytest.mark.parametrize("data", NOT_JSON)
def test_not_json(pair, peer, data):
    assert_refused(peer, data + b"\n", "bad_json")
    assert_still_serves(peer, pair)


# 3000 nested arrays fit in one frame; objects ('{"":' each) fit 1500 deep.
@pytest.mark.parametrize("opening,closing,depth", [(b"[", b"]", 3000), (b'{"":', b"}", 1500)],
                         ids=["arrays", "objects"])
def test_three_thousand_nested_brackets(pair, peer, opening, closing, depth):
    # Deeper than the JSON parser will go: refused as not JSON, and the server lives.
    deep = opening * depth + b"1" + closing * depth
    assert_refused(peer, b'{"type":"ping","x":' + deep + b"}\n", "bad_json")
    assert_refused(peer, deep + b"\n", "bad_json")
    assert_still_serves(peer, pair)


def test_five_thousand_digit_number(pair, peer):
    digits = b"9" * 5000
    # An unknown field is ignored whatever it holds, even a number too long for int().
    peer.send_raw(b'{"type":"ping","id":2,"x":' + digits + b"}\n")
    assert peer.recv() == {"type": "pong", "id": 2}
    # Where a string or small id is expected, it is a field of the wrong type.
    assert_refused(peer, b'{"type":"ping","id":' + digits + b"}\n", "bad_frame")
    assert_refused(peer, b'{"type":"msg","text":' + digits + b"}\n", "bad_frame")
    assert_refused(peer, b'{"type":"msg","text":"x","to":-' + digits + b"}\n", "bad_frame")
    assert_refused(peer, b'{"type":"ping","id":1.' + digits + b"}\n", "bad_frame")
    assert_refused(peer, b'{"type":"ping","id":1e' + digits + b"}\n", "bad_frame")
    assert_still_serves(peer, pair)


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity(pair, peer, constant):
    assert_refused(peer, b'{"type":"ping","id":' + constant + b"}\n", "bad_json")
    assert_refused(peer, b'{"type":"ping","x":[' + constant + b"]}\n", "bad_json")
    assert_still_serves(peer, pair)


@pytest.mark.parametrize("field", ["text", "to"])
@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udfff", "a\\udc00b", "\\ud83d"])
def test_lone_surrogate(pair, peer, field, surrogate):
    message = {"text": '"hi"', "to": f'"{pair.bob.nick}"'}
    message[field] = f'"{surrogate}"'
    data = ('{"type":"msg","text":%s,"to":%s}\n' % (message["text"], message["to"]))
    assert_refused(peer, data.encode(), "bad_frame")
    assert_still_serves(peer, pair)


def test_lone_surrogate_in_login_ping_and_type(pair, abuser):
    fresh = abuser()
    assert_refused(fresh, b'{"type":"login","nick":"\\ud800"}\n', "bad_frame")
    assert_refused(fresh, b'{"type":"login","nick":"ok","password":"\\udbff"}\n',
                   "bad_frame")
    assert_refused(fresh, b'{"type":"ping","id":"\\ud800"}\n', "bad_frame")
    assert_refused(fresh, b'{"type":"\\ud800"}\n', "unknown_type")
    fresh.send_raw(b'{"type":"ping","id":"\\ud83d\\ude00"}\n')   # a real pair is fine
    assert fresh.recv() == {"type": "pong", "id": "\U0001F600"}
    pair.assert_chatting()


def test_duplicate_keys_last_one_wins(pair, peer):
    # The contract is silent; the server reads JSON as Python does: the last key wins.
    peer.send_raw(b'{"type":"msg","text":"first","text":"second"}\n')
    assert peer.expect("msg")["text"] == "second"
    peer.send_raw(b'{"type":"msg","type":"ping","id":5}\n')
    assert peer.recv() == {"type": "pong", "id": 5}
    for bystander in (pair.alice, pair.bob):
        pair.next_event(bystander, "msg", **{"from": peer.nick, "text": "second"})
    pair.assert_chatting()


WRONG = {"number": 1, "float": 1.5, "true": True, "false": False, "list": ["x"],
         "object": {"x": "y"}}
# (frame without the field, field, whether null is allowed)
FIELDS = [
    ({"type": "login"}, "nick", False),
    ({"type": "login", "nick": "fine"}, "password", True),
    ({"type": "msg"}, "text", False),
    ({"type": "msg", "text": "hi"}, "to", True),
    ({"type": "down"}, "reason", True),
    ({"type": "kick"}, "nick", False),
    ({"type": "kick", "nick": "nobody"}, "reason", True),
]


@pytest.mark.parametrize("base,field,nullable", FIELDS,
                         ids=[f"{b['type']}.{f}" for b, f, _ in FIELDS])
def test_every_field_with_the_wrong_type(pair, abuser, base, field, nullable):
    # Before login for `login`, after it for the rest: either way decoding comes first.
    peer = abuser()
    if base["type"] != "login":
        peer.login(fresh_nick("abuser"))
    for value in WRONG.values():
        peer.send({**base, field: value})
        assert error_code(peer) == "bad_frame", (field, value)
    if not nullable:
        peer.send(base)
        assert error_code(peer) == "bad_frame"
        peer.send({**base, field: None})
        assert error_code(peer) == "bad_frame"
    # Nothing happened: not logged in / not shut down / nobody kicked or messaged.
    peer.send({"type": "whoami"})
    answer = peer.recv()
    if base["type"] == "login":
        assert answer["type"] == "error" and answer["code"] == "not_logged_in", answer
    else:
        assert answer == {"type": "whoami", "nick": peer.nick, "admin": False}
    pair.assert_chatting()


@pytest.mark.parametrize("value", [1.5, True, False, ["x"], {"x": 1}])
def test_ping_id_of_the_wrong_type(pair, abuser, value):
    peer = abuser()
    peer.send({"type": "ping", "id": value})
    assert error_code(peer) == "bad_frame"
    pair.assert_chatting()


@pytest.mark.parametrize("value", [None, 1, 1.5, True, ["msg"], {"t": 1}])
def test_type_of_the_wrong_type(pair, peer, value):
    peer.send({"type": value, "text": "hi"})
    assert error_code(peer) == "bad_frame"
    peer.send({"text": "no type at all"})
    assert error_code(peer) == "bad_frame"
    assert_still_serves(peer, pair)


def test_unknown_types_and_forged_fields(pair, peer):
    for kind in ["MSG", "Msg", "welcome", "bye", "shutdown", "joined", "", "msg "]:
        peer.send({"type": kind, "text": "x"})
        assert error_code(peer) == "unknown_type", kind
    # Fields only the server may set are ignored, not obeyed.
    peer.send({"type": "msg", "text": "forged", "from": pair.alice.nick, "id": -1,
               "ts": 0, "admin": True})
    for bystander in (peer, pair.alice, pair.bob):
        event = pair.next_event(bystander, "msg", text="forged")
        assert event["from"] == peer.nick and event["id"] > 0 and event["ts"] > 0
    peer.send({"type": "whoami"})
    assert peer.recv() == {"type": "whoami", "nick": peer.nick, "admin": False}
    pair.assert_chatting()
