"""The codecs: any input is accepted or refused with a contract error, nothing else
escapes; and what is encoded decodes back to the same event."""

import json

from hypothesis import given, settings, strategies as st

from protocol import json_codec, messages, nicks, text_codec
from protocol.errors import ERROR_CODES, ProtocolError
from protocol.events import (
    NO_ID, AskUsers, AskWhoami, Bye, Down, Error, Identity, Joined, Kick, Left, Login,
    Logout, Message, Ping, Pong, Say, Shutdown, UserList, Welcome,
)

# ---- any input: accepted, or refused with the contract's error -------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
kinds = st.sampled_from(["login", "msg", "users", "whoami", "logout", "ping", "down",
                         "kick", "welcome", "MSG", ""])
field_names = st.sampled_from(["type", "nick", "password", "text", "to", "id", "reason"])
frames = st.one_of(
    st.dictionaries(field_names, json_values, max_size=5).flatmap(
        lambda d: kinds.map(lambda k: {**d, "type": k})),
    st.dictionaries(field_names, json_values, max_size=5),
    json_values,
).map(lambda v: json.dumps(v).encode())
raw_lines = st.one_of(frames, st.binary(max_size=200),
                      st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      frames.map(lambda f: f.replace(b'"', b"", 1)),
                      st.sampled_from([b"NaN", b'{"type":"ping","id":NaN}', b"[" * 5000,
                                       b'{"type":"ping","id":' + b"9" * 5000 + b"}",
                                       b'{"type":"msg","text":"\\ud800"}']))


def accepted_or_refused(function, *args):
    try:
        return function(*args)
    except ProtocolError as refusal:
        assert refusal.code in ERROR_CODES and refusal.message
        return refusal


@settings(max_examples=300)
@given(raw_lines)
def test_any_client_frame_is_accepted_or_refused(line):
    accepted_or_refused(json_codec.decode_command, line)


@settings(max_examples=300)
@given(raw_lines)
def test_any_server_frame_is_accepted_or_refused(line):
    accepted_or_refused(json_codec.decode_event, line)


@settings(max_examples=200)
@given(st.text(max_size=60), st.booleans())
def test_any_typed_line_is_accepted_or_refused(line, logged_in):
    accepted_or_refused(text_codec.parse_line, line, logged_in)


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_any_nick_is_valid_or_refused(nick):
    result = accepted_or_refused(nicks.validate, nick)
    if isinstance(result, str):
        assert 1 <= len(result) <= 24 and nicks.key(result) not in nicks.RESERVED
        assert result.isprintable()


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_any_message_text_is_cleaned_or_refused(text):
    result = accepted_or_refused(messages.clean_text, text)
    if isinstance(result, str):
        assert result and result == result.strip()
        assert not any(ord(c) < 32 and c not in "\t\n" for c in result)


# ---- encode then decode gives the event back ---------------------------------

texts = st.text(max_size=40)
small_ints = st.integers(min_value=0, max_value=2**53)
optional_texts = st.none() | texts
messages_ = st.builds(Message, small_ints, small_ints, texts, optional_texts, texts)
events = st.one_of(
    messages_,
    st.builds(Welcome, texts, st.lists(texts, max_size=5).map(tuple), st.booleans(),
              st.lists(messages_, max_size=3).map(tuple), texts),
    st.builds(Joined, texts, small_ints),
    st.builds(Left, texts, st.sampled_from(["quit", "disconnected", "kicked", "dropped"]),
              small_ints, optional_texts),
    st.builds(UserList, st.lists(texts, max_size=5).map(tuple)),
    st.builds(Identity, texts, st.booleans()),
    st.builds(Pong, st.just(NO_ID) | st.none() | st.integers(-2**63, 2**63) | texts),
    st.builds(Error, st.sampled_from(sorted(ERROR_CODES)), texts),
    st.builds(Bye, st.sampled_from(["logout", "kicked", "timeout", "dropped"]),
              optional_texts),
    st.builds(Shutdown, texts, texts),
)


@settings(max_examples=300)
@given(events)
def test_encode_then_decode_gives_the_event_back(event):
    line = json_codec.encode_event(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1   # one frame, one line
    assert json_codec.decode_event(line[:-1]) == event


@settings(max_examples=200)
@given(messages_)
def test_the_fast_message_encoder_writes_what_json_would(message):
    expected = json.dumps(json_codec.message_fields(message), ensure_ascii=False,
                          separators=(",", ":")) + "\n"
    assert json_codec.encode_event(message) == expected.encode()


commands = st.one_of(
    st.builds(Login, texts, st.none() | texts.filter(bool)),
    st.builds(Say, texts, optional_texts),
    st.just(AskUsers()), st.just(AskWhoami()), st.just(Logout()),
    st.builds(Ping, st.just(NO_ID) | st.none() | st.integers(-2**63, 2**63) | texts),
    st.builds(Down, optional_texts),
    st.builds(Kick, texts, optional_texts),
)


@settings(max_examples=200)
@given(commands)
def test_encode_then_decode_gives_the_command_back(command):
    line = json_codec.encode_command(command)
    assert line.count(b"\n") == 1
    assert json_codec.decode_command(line[:-1]) == command


@settings(max_examples=300)
@given(events)
def test_every_event_has_a_text_line(event):
    line = text_codec.encode_event(event)
    assert line.endswith(b"\n")
    line.decode("utf-8")
