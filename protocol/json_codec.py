"""The JSON dialect: one JSON object a line, both ways.

`decode_command` / `encode_event` are the server's side, `encode_command` /
`decode_event` the client's. Decoding accepts a frame or raises ProtocolError with
the contract's code; no other exception escapes.
"""

import json
import json.scanner
from json.encoder import encode_basestring as _quote  # JSON string, UTF-8 kept as is

from protocol import errors
from protocol.errors import ProtocolError
from protocol.events import (
    NO_ID, AskUsers, AskWhoami, Bye, Down, Error, HelpText, Identity, Joined, Kick, Left,
    Login, Logout, Message, Ping, Pong, Say, Shutdown, Unknown, UserList, Welcome,
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _HugeNumber:
    """An integer too long for int(): kept opaque so unknown fields can still be ignored."""


def _parse_int(digits: str):
    return int(digits) if len(digits) <= 1000 else _HugeNumber()


def _refuse_constant(name: str):
    raise ProtocolError(errors.BAD_JSON, f"{name} is not allowed in JSON frames.")


_decoder = json.JSONDecoder(parse_int=_parse_int, parse_constant=_refuse_constant)
_scan_value = json.scanner.make_scanner(_decoder)   # the C scanner, without the wrappers


def decode_utf8(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(errors.BAD_ENCODING,
                            "The frame is not valid UTF-8; it was dropped.") from None


def parse_object(line: bytes) -> dict:
    """Bytes of one frame -> a JSON object with a string `type`."""
    text = decode_utf8(line)
    try:
        value, end = _scan_value(text, 0) if text[:1] == "{" else (None, -1)
        if end != len(text):
            # Leading or trailing white space, or an error: the full decoder sorts it out.
            value = _decoder.decode(text)
    except StopIteration:
        raise ProtocolError(errors.BAD_JSON, "The frame is not valid JSON.") from None
    except ProtocolError:
        raise
    except (ValueError, RecursionError):
        raise ProtocolError(errors.BAD_JSON, "The frame is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ProtocolError(errors.BAD_FRAME, "A frame must be a JSON object.")
    kind = value.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(errors.BAD_FRAME, "A frame needs a string field 'type'.")
    return value


# ---- server side: decode commands --------------------------------------------

def decode_command(line: bytes):
    frame = parse_object(line)
    if frame["type"] == "msg":
        # The hot path of every chat line. Without a \u escape in the line, no string
        # can hold a lone surrogate (the UTF-8 decoder refuses encoded ones).
        text, to = frame.get("text"), frame.get("to")
        if type(text) is str and (to is None or type(to) is str) and b"\\u" not in line:
            return Say(text, to)
    parse = _COMMANDS.get(frame["type"])
    if parse is None:
        raise ProtocolError(errors.UNKNOWN_TYPE,
                            f"Unknown frame type {frame['type'][:40]!r}.")
    return parse(frame)


def _text(frame: dict, field: str, required: bool = False):
    """A string field, or None when absent/null; refuses other types and lone surrogates."""
    value = frame.get(field)
    if value is None:
        if required:
            raise ProtocolError(errors.BAD_FRAME, f"The field '{field}' is required.")
        return None
    if not isinstance(value, str):
        raise ProtocolError(errors.BAD_FRAME, f"The field '{field}' must be a string.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError(errors.BAD_FRAME,
                                f"The field '{field}' holds a lone surrogate.") from None
    return value


def _ping_id(frame: dict):
    if "id" not in frame:
        return NO_ID
    value = frame["id"]
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        return _text(frame, "id")
    raise ProtocolError(errors.BAD_FRAME, "The field 'id' must be an integer or a string.")


_COMMANDS = {
    "login": lambda f: Login(_text(f, "nick", True), _text(f, "password") or None),
    "msg": lambda f: Say(_text(f, "text", True), _text(f, "to")),
    "users": lambda f: AskUsers(),
    "whoami": lambda f: AskWhoami(),
    "logout": lambda f: Logout(),
    "ping": lambda f: Ping(_ping_id(f)),
    "down": lambda f: Down(_text(f, "reason")),
    "kick": lambda f: Kick(_text(f, "nick", True), _text(f, "reason")),
}


# ---- server side: encode events ----------------------------------------------

def message_fields(event: Message) -> dict:
    return {"type": "msg", "id": event.id, "ts": event.ts, "from": event.sender,
            "to": event.to, "text": event.text}


def _optional(fields: dict, name: str, value) -> dict:
    if value is not None:
        fields[name] = value
    return fields


def _pong_fields(event: Pong) -> dict:
    return {"type": "pong"} if event.id is NO_ID else {"type": "pong", "id": event.id}


_EVENT_FIELDS = {
    Message: message_fields,
    Welcome: lambda e: {"type": "welcome", "nick": e.nick, "users": list(e.users),
                        "admin": e.admin,
                        "history": [message_fields(m) for m in e.history],
                        "server": e.server, "admins": list(e.admins)},
    Joined: lambda e: {"type": "joined", "nick": e.nick, "ts": e.ts, "admin": e.admin},
    Left: lambda e: _optional({"type": "left", "nick": e.nick, "reason": e.reason,
                               "ts": e.ts}, "message", e.message),
    UserList: lambda e: {"type": "users", "users": list(e.users), "admins": list(e.admins)},
    Identity: lambda e: {"type": "whoami", "nick": e.nick, "admin": e.admin},
    Pong: _pong_fields,
    Error: lambda e: {"type": "error", "code": e.code, "message": e.message},
    Bye: lambda e: _optional({"type": "bye", "reason": e.reason}, "message", e.message),
    Shutdown: lambda e: {"type": "shutdown", "by": e.by, "reason": e.reason},
    # The text dialect's answer to `-help`; JSON clients never ask, but every event
    # has a JSON form so that an Outgoing can always be encoded.
    HelpText: lambda e: {"type": "help", "lines": list(e.lines)},
}


def encode_event(event) -> bytes:
    if type(event) is Message:
        return _encode_message(event)
    return (_dumps(_EVENT_FIELDS[type(event)](event)) + "\n").encode("utf-8")


def _encode_message(event: Message) -> bytes:
    # The hot path of every chat line: formatted directly, same bytes as json.dumps.
    to = "null" if event.to is None else _quote(event.to)
    return (f'{{"type":"msg","id":{event.id},"ts":{event.ts},"from":{_quote(event.sender)},'
            f'"to":{to},"text":{_quote(event.text)}}}\n').encode("utf-8")


# ---- client side -------------------------------------------------------------

def _command_fields(command) -> dict:
    if isinstance(command, Login):
        return _optional({"type": "login", "nick": command.nick}, "password",
                         command.password)
    if isinstance(command, Say):
        return {"type": "msg", "text": command.text, "to": command.to}
    if isinstance(command, Ping):
        return {"type": "ping"} if command.id is NO_ID else {"type": "ping", "id": command.id}
    if isinstance(command, Down):
        return _optional({"type": "down"}, "reason", command.reason)
    if isinstance(command, Kick):
        return _optional({"type": "kick", "nick": command.nick}, "reason", command.reason)
    simple = {AskUsers: "users", AskWhoami: "whoami", Logout: "logout"}
    if type(command) not in simple:
        # Help: the text dialect's `-help` has no JSON frame; a client answers it itself.
        raise ProtocolError(errors.UNKNOWN_TYPE,
                            f"{type(command).__name__} has no JSON frame.")
    return {"type": simple[type(command)]}


def encode_command(command) -> bytes:
    return (_dumps(_command_fields(command)) + "\n").encode("utf-8")


def _message(f: dict) -> Message:
    return Message(f["id"], f["ts"], f["from"], f.get("to"), f["text"])


_EVENTS = {
    "msg": _message,
    "welcome": lambda f: Welcome(f["nick"], tuple(f["users"]), bool(f.get("admin")),
                                 tuple(_message(m) for m in f.get("history", ())),
                                 f.get("server", ""), tuple(f.get("admins", ()))),
    "joined": lambda f: Joined(f["nick"], f.get("ts", 0), bool(f.get("admin"))),
    "left": lambda f: Left(f["nick"], f.get("reason", "disconnected"), f.get("ts", 0),
                           f.get("message")),
    "users": lambda f: UserList(tuple(f["users"]), tuple(f.get("admins", ()))),
    "whoami": lambda f: Identity(f["nick"], bool(f.get("admin"))),
    "pong": lambda f: Pong(f.get("id", NO_ID)),
    "error": lambda f: Error(f["code"], f.get("message", "")),
    "bye": lambda f: Bye(f.get("reason", ""), f.get("message")),
    "shutdown": lambda f: Shutdown(f.get("by", "server"), f.get("reason", "")),
}


def decode_event(line: bytes):
    """A server frame -> event; unknown types become `Unknown`, unknown fields are ignored."""
    frame = parse_object(line)
    build = _EVENTS.get(frame["type"])
    if build is None:
        return Unknown(frame["type"])
    try:
        return build(frame)
    except (KeyError, TypeError, ValueError):
        raise ProtocolError(errors.BAD_FRAME,
                            f"The server sent a malformed {frame['type']!r} frame.") from None
