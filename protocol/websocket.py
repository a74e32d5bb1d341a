"""RFC 6455 WebSocket framing, server side, sans-IO: frames in, events out.

`FrameReader.feed(bytes)` returns events (`TextMessage`, `BinaryMessage`, `Ping`,
`Pong`, `Close`); the writer functions turn what the server says into frames, which
are never masked (RFC 6455 §5.1). No extension is negotiated, so every RSV bit is 0.

Payload bytes are unmasked and, for text, UTF-8-checked as they arrive: the reader
keeps at most one frame header (14 bytes), one control payload (125 bytes) and the
message being assembled (`max_message` bytes), and never looks at a byte twice.

Close codes the reader asks for (`RemoteProtocolError.code`), per RFC 6455 §7.4.1:
    1002 protocol error: an unmasked client frame (§5.1), an RSV bit set, an unknown
         opcode, a control frame that is fragmented or longer than 125 bytes (§5.5), a
         continuation with no message begun or a new message before the last one
         ended (§5.4), a 64-bit length with its top bit set (§5.2), a close frame with
         a 1-byte payload or a code no endpoint may send (§7.4: below 1000, 1004-1006,
         1015-2999, 5000 and up).
    1007 invalid data: a text message or a close reason that is not UTF-8 (§8.1).
         Checked incrementally, so a character split across fragments is fine and a
         bad byte fails at once.
    1009 too big: a message over `max_message` bytes, counted over its fragments;
         refused from the frame header, before its payload is read.
    Binary messages are reported, not refused: the chat answers them with 1003.
    Non-minimal length encodings are accepted (as wsproto and browsers do).

On `RemoteProtocolError` the caller sends `close(exc.code, exc.reason)` and closes
the TCP connection once that is written, without waiting for the peer's Close (the
connection is failed, §7.1.7). Events decoded earlier in the same feed are in
`exc.events`. The reader is dead: feeding it again raises `LocalProtocolError`.

On a `Close` event the caller answers `close_reply(event)` (the peer's code echoed;
an empty Close if it sent none, 1005) and closes once written. Bytes after a Close
frame are ignored.

`LocalProtocolError` is our misuse: a control payload over 125 bytes, a close code
we may not send, feeding a failed reader.
"""

import codecs
import struct
from dataclasses import dataclass

MAX_MESSAGE_BYTES = 65536
MAX_CONTROL_PAYLOAD = 125

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
_KNOWN_OPCODES = frozenset({OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG})

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
UNSUPPORTED_DATA = 1003
NO_STATUS_RECEIVED = 1005    # never on the wire: a Close frame without a code
INVALID_PAYLOAD = 1007
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011


def is_valid_close_code(code: int) -> bool:
    """Codes an endpoint may put in a Close frame (RFC 6455 §7.4, IANA registry)."""
    return (1000 <= code <= 1003 or 1007 <= code <= 1014) or 3000 <= code <= 4999


class WebSocketError(Exception):
    """Every error this module raises."""


class RemoteProtocolError(WebSocketError):
    """The peer broke RFC 6455: send `close(code, reason)`, then close the connection."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.events: list = []  # events decoded before the fault, in the same feed


class LocalProtocolError(WebSocketError):
    """We tried to send or do something RFC 6455 forbids: a bug on our side."""


@dataclass(frozen=True, slots=True)
class TextMessage:
    text: str


@dataclass(frozen=True, slots=True)
class BinaryMessage:
    data: bytes


@dataclass(frozen=True, slots=True)
class Ping:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Pong:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Close:
    code: int       # 1005 (NO_STATUS_RECEIVED) when the frame carried none
    reason: str


def _unmask(data: bytes, mask: bytes, offset: int) -> bytes:
    """XOR `data` with the 4-byte `mask`, starting `offset` bytes into the payload."""
    size = len(data)
    if not size:
        return b""
    shift = offset & 3
    if shift:
        mask = mask[shift:] + mask[:shift]
    key = (mask * (size // 4 + 1))[:size]
    # One big-integer XOR is far faster than a Python loop over the bytes.
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


class FrameReader:
    """Feed a client's bytes, get events; raises `RemoteProtocolError` with the close code."""

    def __init__(self, max_message: int = MAX_MESSAGE_BYTES):
        self.max_message = max_message
        self._header = bytearray()    # the frame header being read (at most 14 bytes)
        self._in_frame = False        # header read, payload being read
        self._opcode = 0
        self._fin = False
        self._mask = b""
        self._remaining = 0           # payload bytes of this frame still to come
        self._offset = 0              # payload bytes of this frame already read
        self._control = bytearray()   # a control frame's payload (at most 125 bytes)
        self._message_opcode = None   # OP_TEXT / OP_BINARY while a message is open
        self._message_size = 0
        self._parts: list = []        # decoded str pieces, or bytes pieces
        self._decoder = None
        self._closed = False
        self._failed = False

    def feed(self, data: bytes) -> list:
        if self._failed:
            raise LocalProtocolError("the frame reader already failed")
        events: list = []
        try:
            self._consume(memoryview(data), events)
        except RemoteProtocolError as exc:
            self._failed = True
            self._parts, self._control = [], bytearray()
            exc.events = events
            raise
        return events

    def _consume(self, data: memoryview, events: list) -> None:
        position, end = 0, len(data)
        while position < end and not self._closed:
            if not self._in_frame:
                position = self._read_header(data, position)
                if not self._in_frame:
                    return                     # the header is still incomplete
            else:
                take = min(self._remaining, end - position)
                self._payload(bytes(data[position:position + take]))
                position += take
            if self._in_frame and self._remaining == 0:
                self._in_frame = False
                self._end_frame(events)

    def _read_header(self, data: memoryview, position: int) -> int:
        header = self._header
        needed = 2
        while True:
            if len(header) < needed:
                take = min(needed - len(header), len(data) - position)
                header += data[position:position + take]
                position += take
                if len(header) < needed:
                    return position
            if needed == 2:
                self._check_first_two(header[0], header[1])
                length = header[1] & 0x7F
                needed = 2 + {126: 2, 127: 8}.get(length, 0) + 4
                if len(header) < needed:
                    continue
            break
        self._start_frame(header)
        header.clear()
        return position

    def _check_first_two(self, first: int, second: int) -> None:
        opcode = first & 0x0F
        if first & 0x70:
            raise RemoteProtocolError(PROTOCOL_ERROR, "reserved bits set")
        if opcode not in _KNOWN_OPCODES:
            raise RemoteProtocolError(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if not second & 0x80:
            raise RemoteProtocolError(PROTOCOL_ERROR, "client frames must be masked")
        if opcode & 0x08:
            if not first & 0x80:
                raise RemoteProtocolError(PROTOCOL_ERROR, "fragmented control frame")
            if second & 0x7F > MAX_CONTROL_PAYLOAD:
                raise RemoteProtocolError(PROTOCOL_ERROR, "control frame over 125 bytes")
        elif opcode == OP_CONTINUATION:
            if self._message_opcode is None:
                raise RemoteProtocolError(PROTOCOL_ERROR, "continuation without a message")
        elif self._message_opcode is not None:
            raise RemoteProtocolError(PROTOCOL_ERROR, "new message inside a fragmented one")

    def _start_frame(self, header: bytearray) -> None:
        length = header[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack_from("!H", header, 2)
        elif length == 127:
            (length,) = struct.unpack_from("!Q", header, 2)
            if length >> 63:
                raise RemoteProtocolError(PROTOCOL_ERROR, "64-bit length with top bit set")
        self._opcode = header[0] & 0x0F
        self._fin = bool(header[0] & 0x80)
        self._mask = bytes(header[-4:])
        self._remaining, self._offset = length, 0
        self._in_frame = True
        if self._opcode & 0x08:
            self._control = bytearray()
            return
        if self._message_size + length > self.max_message:
            raise RemoteProtocolError(MESSAGE_TOO_BIG,
                                      f"message over {self.max_message} bytes")
        if self._opcode != OP_CONTINUATION:
            self._message_opcode = self._opcode
            self._message_size = 0
            self._parts = []
            self._decoder = (codecs.getincrementaldecoder("utf-8")()
                             if self._opcode == OP_TEXT else None)
        self._message_size += length

    def _payload(self, chunk: bytes) -> None:
        plain = _unmask(chunk, self._mask, self._offset)
        self._offset += len(chunk)
        self._remaining -= len(chunk)
        if self._opcode & 0x08:
            self._control += plain
        elif self._decoder is not None:
            self._parts.append(self._decode(plain, final=False))
        else:
            self._parts.append(plain)

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError:
            raise RemoteProtocolError(INVALID_PAYLOAD, "text is not UTF-8") from None

    def _end_frame(self, events: list) -> None:
        opcode = self._opcode
        if opcode & 0x08:
            payload = bytes(self._control)
            if opcode == OP_PING:
                events.append(Ping(payload))
            elif opcode == OP_PONG:
                events.append(Pong(payload))
            else:
                events.append(_parse_close(payload))
                self._closed = True
            return
        if not self._fin:
            return
        if self._decoder is not None:
            self._parts.append(self._decode(b"", final=True))
            events.append(TextMessage("".join(self._parts)))
        else:
            events.append(BinaryMessage(b"".join(self._parts)))
        self._message_opcode, self._message_size = None, 0
        self._parts, self._decoder = [], None


def _parse_close(payload: bytes) -> Close:
    if not payload:
        return Close(NO_STATUS_RECEIVED, "")
    if len(payload) == 1:
        raise RemoteProtocolError(PROTOCOL_ERROR, "close frame with a 1-byte payload")
    (code,) = struct.unpack_from("!H", payload)
    if not is_valid_close_code(code):
        raise RemoteProtocolError(PROTOCOL_ERROR, f"close code {code} may not be sent")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise RemoteProtocolError(INVALID_PAYLOAD, "close reason is not UTF-8") from None
    return Close(code, reason)


# --- writing: server frames, never masked ---------------------------------------------

def _frame(opcode: int, payload: bytes) -> bytes:
    size = len(payload)
    first = 0x80 | opcode
    if size <= 125:
        return bytes((first, size)) + payload
    if size <= 0xFFFF:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


def text_frame(payload: bytes) -> bytes:
    """One unmasked text frame around UTF-8 bytes the caller encoded (not re-checked).

    The fast path for a broadcast: encode once, send the same bytes to everyone.
    """
    return _frame(OP_TEXT, payload)


def text(message: str) -> bytes:
    return _frame(OP_TEXT, message.encode("utf-8"))


def binary(data: bytes) -> bytes:
    return _frame(OP_BINARY, bytes(data))


def _control(opcode: int, payload: bytes) -> bytes:
    payload = bytes(payload)
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise LocalProtocolError("a control frame's payload is at most 125 bytes")
    return _frame(opcode, payload)


def ping(payload: bytes = b"") -> bytes:
    return _control(OP_PING, payload)


def pong(payload: bytes = b"") -> bytes:
    return _control(OP_PONG, payload)


def close(code: int = NORMAL_CLOSURE, reason: str = "") -> bytes:
    """A Close frame; the reason is cut (at a character boundary) to fit 123 bytes."""
    if not is_valid_close_code(code):
        raise LocalProtocolError(f"close code {code} may not be sent")
    encoded = reason.encode("utf-8")
    if len(encoded) > MAX_CONTROL_PAYLOAD - 2:
        encoded = encoded[:MAX_CONTROL_PAYLOAD - 2].decode("utf-8", "ignore").encode("utf-8")
    return _control(OP_CLOSE, struct.pack("!H", code) + encoded)


def close_reply(event: Close) -> bytes:
    """The answer to a peer's Close: its code echoed (RFC 6455 §5.5.1), or an empty Close."""
    if event.code == NO_STATUS_RECEIVED:
        return _control(OP_CLOSE, b"")
    return close(event.code)
