"""RFC 6455 framing: the reader against hand-made frames, the RFC's examples and wsproto."""

import struct
import time

import pytest
from hypothesis import given, settings, strategies as st
from wsproto.connection import Connection, ConnectionType
from wsproto import events as wse

from protocol import websocket as ws
from protocol.websocket import BinaryMessage, Close, Ping, Pong, TextMessage

MASK = b"\x37\xfa\x21\x3d"   # the mask of RFC 6455 §5.7's examples


def frame(opcode, payload=b"", fin=True, mask=MASK, rsv=0, length=None):
    """A client frame, by hand: masked unless mask is None; `length` may lie."""
    size = len(payload) if length is None else length
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    mask_bit = 0x80 if mask is not None else 0
    if size <= 125:
        head = bytes((first, mask_bit | size))
    elif size <= 0xFFFF:
        head = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, size)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read(data, max_message=65536):
    return ws.FrameReader(max_message).feed(data)


def read_bytewise(data, max_message=65536):
    reader = ws.FrameReader(max_message)
    events = []
    for i in range(len(data)):
        events += reader.feed(data[i:i + 1])
    return events


def error_code(data, max_message=65536, bytewise=False):
    reader = ws.FrameReader(max_message)
    with pytest.raises(ws.RemoteProtocolError) as info:
        if bytewise:
            for i in range(len(data)):
                reader.feed(data[i:i + 1])
        else:
            reader.feed(data)
    return info.value.code


# --- RFC 6455 §5.7 examples -----------------------------------------------------------

def test_rfc_masked_hello():
    data = bytes.fromhex("818537fa213d7f9f4d5158")
    assert read(data) == [TextMessage("Hello")]


def test_rfc_unmasked_hello_is_what_the_server_writes_and_refused_from_a_client():
    data = bytes.fromhex("810548656c6c6f")
    assert ws.text("Hello") == data
    assert ws.text_frame(b"Hello") == data
    assert error_code(data) == 1002


def test_rfc_fragmented_hello():
    # §5.7: 0x01 0x03 "Hel", 0x80 0x02 "lo" (masked here, as a client must)
    data = frame(0x1, b"Hel", fin=False) + frame(0x0, b"lo")
    assert read(data) == [TextMessage("Hello")]


def test_rfc_ping_and_pong():
    assert ws.ping(b"Hello") == bytes.fromhex("890548656c6c6f")
    assert ws.pong(b"Hello") == bytes.fromhex("8a0548656c6c6f")
    assert read(frame(0x9, b"Hello")) == [Ping(b"Hello")]
    # §5.7's masked pong: 0x8a 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
    assert read(bytes.fromhex("8a8537fa213d7f9f4d5158")) == [Pong(b"Hello")]


def test_rfc_256_byte_binary_uses_a_16_bit_length():
    payload = bytes(range(256))
    assert ws.binary(payload)[:4] == bytes.fromhex("827e0100")
    data = frame(0x2, payload)
    assert data[:2] == b"\x82\xfe" and data[2:4] == b"\x01\x00"
    assert read(data) == [BinaryMessage(payload)]


def test_rfc_64_kib_binary_uses_a_64_bit_length():
    payload = bytes(i % 251 for i in range(65536))
    assert ws.binary(payload)[:10] == bytes.fromhex("827f0000000000010000")
    data = frame(0x2, payload)
    assert data[1] == 0xFF and data[2:10] == bytes.fromhex("0000000000010000")
    assert read(data) == [BinaryMessage(payload)]


@pytest.mark.parametrize("size, header", [
    (0, "8100"), (125, "817d"), (126, "817e007e"), (65535, "817effff"),
    (65536, "817f0000000000010000"), (70000, "817f0000000000011170"),
])
def test_text_frame_length_encodings(size, header):
    payload = b"a" * size
    assert ws.text_frame(payload) == bytes.fromhex(header) + payload
    assert ws.text("a" * size) == bytes.fromhex(header) + payload


# --- every valid case, whole and byte by byte -------------------------------------------

VALID = {
    "hello": (frame(0x1, b"Hello"), [TextMessage("Hello")]),
    "empty text": (frame(0x1, b""), [TextMessage("")]),
    "empty binary": (frame(0x2, b""), [BinaryMessage(b"")]),
    "utf-8": (frame(0x1, "héllo wörld ✓ 🎉".encode()), [TextMessage("héllo wörld ✓ 🎉")]),
    "fragments": (frame(0x1, b"a", fin=False) + frame(0x0, b"b", fin=False) + frame(0x0, b"c"),
                  [TextMessage("abc")]),
    "empty fragments": (frame(0x1, b"", fin=False) + frame(0x0, b"x", fin=False)
                        + frame(0x0, b""), [TextMessage("x")]),
    "binary fragments": (frame(0x2, b"\x00\xff", fin=False) + frame(0x0, b"\x80"),
                         [BinaryMessage(b"\x00\xff\x80")]),
    "character split across frames": (
        frame(0x1, "é🎉".encode()[:1], fin=False) + frame(0x0, "é🎉".encode()[1:4], fin=False)
        + frame(0x0, "é🎉".encode()[4:]), [TextMessage("é🎉")]),
    "control between fragments": (
        frame(0x1, b"Hel", fin=False) + frame(0x9, b"p") + frame(0xA, b"")
        + frame(0x0, b"lo"), [Ping(b"p"), Pong(b""), TextMessage("Hello")]),
    "ping 125": (frame(0x9, b"x" * 125), [Ping(b"x" * 125)]),
    "16-bit length": (frame(0x1, b"y" * 300), [TextMessage("y" * 300)]),
    "close with code": (frame(0x8, struct.pack("!H", 1000) + "bye ✓".encode()),
                        [Close(1000, "bye ✓")]),
    "close without code": (frame(0x8, b""), [Close(1005, "")]),
    "close 1001": (frame(0x8, struct.pack("!H", 1001)), [Close(1001, "")]),
    "close 3000": (frame(0x8, struct.pack("!H", 3000)), [Close(3000, "")]),
    "close 4999": (frame(0x8, struct.pack("!H", 4999)), [Close(4999, "")]),
    "two messages": (frame(0x1, b"one") + frame(0x1, b"two"),
                     [TextMessage("one"), TextMessage("two")]),
    "zero mask": (frame(0x1, b"plain", mask=b"\0\0\0\0"), [TextMessage("plain")]),
    "non-minimal length": (bytes((0x81, 0xFE, 0x00, 0x02)) + b"\0\0\0\0" + b"ok",
                           [TextMessage("ok")]),
}


@pytest.mark.parametrize("name", VALID)
def test_valid_case_whole_and_byte_by_byte(name):
    data, expected = VALID[name]
    assert read(data) == expected
    assert read_bytewise(data) == expected
    for cut in range(len(data) + 1):
        reader = ws.FrameReader()
        assert reader.feed(data[:cut]) + reader.feed(data[cut:]) == expected


def test_all_valid_cases_in_one_stream():
    data = b"".join(VALID[name][0] for name in VALID if not name.startswith("close"))
    expected = [e for name in VALID if not name.startswith("close") for e in VALID[name][1]]
    assert read(data) == expected
    assert read_bytewise(data) == expected


def test_a_message_of_exactly_max_message_bytes_is_accepted():
    data = frame(0x1, b"a" * 10, fin=False) + frame(0x0, b"b" * 6)
    assert read(data, max_message=16) == [TextMessage("a" * 10 + "b" * 6)]


def test_bytes_after_a_close_frame_are_ignored():
    reader = ws.FrameReader()
    assert reader.feed(frame(0x8, struct.pack("!H", 1000)) + b"\xff\xff garbage") == [
        Close(1000, "")]
    assert reader.feed(frame(0x1, b"late")) == []


# --- every error, with its close code ---------------------------------------------------

ERRORS = {
    "unmasked": (frame(0x1, b"hi", mask=None), 1002),
    "rsv1": (frame(0x1, b"hi", rsv=4), 1002),
    "rsv2": (frame(0x1, b"hi", rsv=2), 1002),
    "rsv3": (frame(0x1, b"hi", rsv=1), 1002),
    "opcode 3": (frame(0x3, b""), 1002),
    "opcode 7": (frame(0x7, b""), 1002),
    "opcode 0xB": (frame(0xB, b""), 1002),
    "opcode 0xF": (frame(0xF, b""), 1002),
    "fragmented ping": (frame(0x9, b"p", fin=False), 1002),
    "fragmented close": (frame(0x8, b"", fin=False), 1002),
    "ping 126": (frame(0x9, b"x" * 126), 1002),
    "pong 16-bit length": (frame(0xA, b"x" * 200), 1002),
    "continuation first": (frame(0x0, b"x"), 1002),
    "continuation after a whole message": (frame(0x1, b"a") + frame(0x0, b"b"), 1002),
    "text inside a message": (frame(0x1, b"a", fin=False) + frame(0x1, b"b"), 1002),
    "binary inside a message": (frame(0x1, b"a", fin=False) + frame(0x2, b"b"), 1002),
    "64-bit top bit": (bytes((0x82, 0xFF)) + b"\x80" + b"\0" * 7 + MASK, 1002),
    "too big in one frame": (frame(0x1, b"a" * 17), 1009),
    "too big across fragments": (frame(0x1, b"a" * 10, fin=False) + frame(0x0, b"b" * 7), 1009),
    "too big binary": (frame(0x2, b"\0" * 17), 1009),
    "invalid utf-8": (frame(0x1, b"\xff"), 1007),
    "surrogate in utf-8": (frame(0x1, b"\xed\xa0\x80"), 1007),
    "overlong utf-8": (frame(0x1, b"\xc0\xaf"), 1007),
    "truncated utf-8 at message end": (frame(0x1, "é".encode()[:1]), 1007),
    "truncated utf-8 across fragments": (
        frame(0x1, "é".encode()[:1], fin=False) + frame(0x0, b"a"), 1007),
    "close 1-byte payload": (frame(0x8, b"\x03"), 1002),
    "close reason not utf-8": (frame(0x8, struct.pack("!H", 1000) + b"\xff"), 1007),
    **{f"close code {code}": (frame(0x8, struct.pack("!H", code)), 1002)
       for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535)},
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_gives_its_close_code(name):
    data, code = ERRORS[name]
    assert error_code(data, max_message=16) == code
    assert error_code(data, max_message=16, bytewise=True) == code


def test_too_big_is_refused_from_the_header_before_the_payload():
    reader = ws.FrameReader(max_message=1000)
    header = frame(0x2, b"", length=2 ** 40)[:10] + MASK
    with pytest.raises(ws.RemoteProtocolError) as info:
        reader.feed(header)
    assert info.value.code == 1009


def test_invalid_utf8_fails_before_the_message_ends():
    reader = ws.FrameReader()
    with pytest.raises(ws.RemoteProtocolError) as info:
        reader.feed(frame(0x1, b"ok \xff", fin=False))
    assert info.value.code == 1007


def test_error_keeps_the_events_before_it_and_kills_the_reader():
    reader = ws.FrameReader()
    with pytest.raises(ws.RemoteProtocolError) as info:
        reader.feed(frame(0x1, b"first") + frame(0x9, b"") + frame(0x1, b"x", mask=None))
    assert info.value.events == [TextMessage("first"), Ping(b"")]
    with pytest.raises(ws.LocalProtocolError):
        reader.feed(frame(0x1, b"again"))


def test_memory_stays_bounded_while_a_large_message_arrives_a_byte_at_a_time():
    reader = ws.FrameReader()
    data = frame(0x2, b"z" * 65536)
    start = time.perf_counter()
    for i in range(len(data)):
        assert reader.feed(data[i:i + 1]) == [] or i == len(data) - 1
        assert len(reader._header) <= 14
    assert time.perf_counter() - start < 10   # linear, not quadratic


# --- the writer -------------------------------------------------------------------------

def test_close_frames():
    assert ws.close() == b"\x88\x02\x03\xe8"
    assert ws.close(1009, "too big") == b"\x88\x09\x03\xf1too big"
    long_reason = ws.close(1008, "é" * 100)
    assert len(long_reason) == 2 + 125 - 1     # cut at a character boundary
    assert read(_masked(long_reason)) == [Close(1008, "é" * 61)]
    with pytest.raises(ws.LocalProtocolError):
        ws.close(1005)
    with pytest.raises(ws.LocalProtocolError):
        ws.close(999)


def test_control_payload_over_125_bytes_is_our_error():
    with pytest.raises(ws.LocalProtocolError):
        ws.ping(b"x" * 126)
    with pytest.raises(ws.LocalProtocolError):
        ws.pong(b"x" * 126)


def test_close_reply_echoes_the_code():
    assert ws.close_reply(Close(1001, "gone")) == ws.close(1001)
    assert ws.close_reply(Close(1005, "")) == b"\x88\x00"


def _masked(server_frame):
    """A server frame turned into the same frame from a client (masked)."""
    reader_len = server_frame[1]
    assert reader_len <= 125
    return frame(server_frame[0] & 0x0F, server_frame[2:], fin=bool(server_frame[0] & 0x80))


# --- cross-checked with wsproto ---------------------------------------------------------

def wsproto_client():
    return Connection(ConnectionType.CLIENT)


SIZES = [0, 1, 125, 126, 127, 65535, 65536]


@pytest.mark.parametrize("size", SIZES)
def test_wsproto_client_frames_read_to_the_same_messages(size):
    client = wsproto_client()
    text = ("é" * size)[:size // 2] + "x" * (size - 2 * (size // 2))  # size bytes of UTF-8
    data = (client.send(wse.TextMessage(text))
            + client.send(wse.BytesMessage(b"\x01" * min(size, 65536)))
            + client.send(wse.Ping(b"p" * min(size, 125)))
            + client.send(wse.Pong(b"q"))
            + client.send(wse.CloseConnection(1000, "done")))
    assert read(data) == [TextMessage(text), BinaryMessage(b"\x01" * size),
                          Ping(b"p" * min(size, 125)), Pong(b"q"), Close(1000, "done")]


def test_wsproto_fragmented_messages_read_to_the_same_messages():
    client = wsproto_client()
    word = "naïve ✓ 🎉 text"
    encoded = word.encode()
    data = b""
    # wsproto sends str fragments; split the str so every fragment is whole characters
    data += client.send(wse.TextMessage(word[:3], message_finished=False))
    data += client.send(wse.Ping(b"mid"))
    data += client.send(wse.TextMessage(word[3:9], message_finished=False))
    data += client.send(wse.TextMessage(word[9:], message_finished=True))
    data += client.send(wse.BytesMessage(encoded[:5], message_finished=False))
    data += client.send(wse.BytesMessage(encoded[5:], message_finished=True))
    expected = [Ping(b"mid"), TextMessage(word), BinaryMessage(encoded)]
    assert read(data) == expected
    assert read_bytewise(data) == expected


def received_by_wsproto(data):
    client = wsproto_client()
    client.receive_data(data)
    out = []
    for event in client.events():
        if isinstance(event, wse.TextMessage):
            out.append(("text", event.data))
        elif isinstance(event, wse.BytesMessage):
            out.append(("binary", bytes(event.data)))
        elif isinstance(event, wse.Ping):
            out.append(("ping", bytes(event.payload)))
        elif isinstance(event, wse.Pong):
            out.append(("pong", bytes(event.payload)))
        elif isinstance(event, wse.CloseConnection):
            out.append(("close", event.code, event.reason))
    return out


@pytest.mark.parametrize("size", SIZES + [200_000])
def test_our_frames_read_by_wsproto_to_the_same_messages(size):
    text = "ü" * (size // 2) + "x" * (size % 2)
    data = (ws.text(text) + ws.text_frame(text.encode()) + ws.binary(b"\x02" * size)
            + ws.ping(b"p" * min(size, 125)) + ws.pong(b"") + ws.close(1001, "bye"))
    assert received_by_wsproto(data) == [
        ("text", text), ("text", text), ("binary", b"\x02" * size),
        ("ping", b"p" * min(size, 125)), ("pong", b""), ("close", 1001, "bye")]


# --- properties -------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_random_bytes_raise_nothing_but_our_errors(chunks):
    reader = ws.FrameReader(max_message=256)
    try:
        for chunk in chunks:
            reader.feed(chunk)
    except ws.RemoteProtocolError as exc:
        assert exc.code in (1002, 1007, 1009)


@st.composite
def random_frames(draw):
    """Frames with random headers but the mask bit set, to reach past the first check."""
    out = b""
    for _ in range(draw(st.integers(0, 6))):
        first = draw(st.integers(0, 255))
        payload = draw(st.binary(max_size=40))
        out += frame(first & 0x0F, payload, fin=bool(first & 0x80), rsv=(first >> 4) & 7,
                     mask=draw(st.binary(min_size=4, max_size=4)))
    return out


@settings(max_examples=400, deadline=None)
@given(random_frames(), st.integers(1, 20))
def test_random_masked_frames_raise_nothing_but_our_errors(data, step):
    reader = ws.FrameReader(max_message=64)
    try:
        for i in range(0, len(data), step):
            reader.feed(data[i:i + step])
    except ws.RemoteProtocolError as exc:
        assert exc.code in (1002, 1007, 1009)


message = st.one_of(
    st.builds(TextMessage, st.text(max_size=300)),
    st.builds(BinaryMessage, st.binary(max_size=300)),
    st.builds(Ping, st.binary(max_size=125)),
    st.builds(Pong, st.binary(max_size=125)),
)


def client_frames(event, cuts):
    """`event` as masked client frames; data messages split at `cuts` byte offsets."""
    if isinstance(event, Ping):
        return frame(0x9, event.payload)
    if isinstance(event, Pong):
        return frame(0xA, event.payload)
    opcode, payload = ((0x1, event.text.encode()) if isinstance(event, TextMessage)
                       else (0x2, event.data))
    points = sorted({c % (len(payload) + 1) for c in cuts} | {0, len(payload)})
    pieces = [payload[a:b] for a, b in zip(points, points[1:])] or [b""]
    out = b""
    for i, piece in enumerate(pieces):
        out += frame(opcode if i == 0 else 0x0, piece, fin=i == len(pieces) - 1,
                     mask=bytes((i * 37 % 256, 1, 2, 3)))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(message, st.lists(st.integers(0, 400), max_size=4)), max_size=8),
       st.integers(1, 50))
def test_random_valid_messages_round_trip(messages, step):
    data = b"".join(client_frames(event, cuts) for event, cuts in messages)
    reader = ws.FrameReader()
    events = []
    for i in range(0, len(data), step):
        events += reader.feed(data[i:i + step])
    assert events == [event for event, _ in messages]
    # and the server's writer, read back by wsproto
    written = b"".join(ws.text(e.text) if isinstance(e, TextMessage) else
                       ws.binary(e.data) if isinstance(e, BinaryMessage) else
                       ws.ping(e.payload) if isinstance(e, Ping) else ws.pong(e.payload)
                       for e, _ in messages)
    kinds = {TextMessage: "text", BinaryMessage: "binary", Ping: "ping", Pong: "pong"}
    assert received_by_wsproto(written) == [
        (kinds[type(e)], e.text if isinstance(e, TextMessage) else
         e.data if isinstance(e, BinaryMessage) else e.payload) for e, _ in messages]
