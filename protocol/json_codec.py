"""The JSON dialect: one JSON object a line, both ways.

`decode_command` / `encode_event` are the server's side, `encode_command` /
`decode_event` the client's. Decoding accepts a frame or raises ProtocolError with
the contract's code; no other exception escapes.
"""

import json
import json.scanner
from json.encoder import encode_basestring as _quote  # JSON string, UTF-8 kept as is

from protocol import errors
from protocol.errors import LocalProtocolError, ProtocolError
from protocol.framing import decode_utf8
from protocol.events import (
    NO_ID, AskBans, AskChallenge, AskUsers, AskWhoami, Ban, BanList, Bye, Down, Error,
    Challenge, Identity, Joined, Kick, Left, Login, Logout, Message, Mute, Notice, Ping, Pong,
    RoomState, Say, Shutdown, Slow, Unban, Unknown, Unmute, UserList, Welcome,
)

MAX_CID_CHARS = 64

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _HugeNumber:
    """An integer too long for int(): kept opaque so unknown fields can still be ignored."""


def _parse_int(digits: str):
    return int(digits) if len(digits) <= 1000 else _HugeNumber()


def _refuse_constant(name: str):
    raise ProtocolError(errors.BAD_JSON, f"{name} is not allowed in JSON frames.")


_decoder = json.JSONDecoder(parse_int=_parse_int, parse_constant=_refuse_constant)
_scan_value = json.scanner.make_scanner(_decoder)   # the C scanner, without the wrappers


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
        text, to, cid = frame.get("text"), frame.get("to"), frame.get("cid")
        if (type(text) is str and (to is None or type(to) is str) and cid is None
                and b"\\u" not in line):
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


def _cid(frame: dict):
    cid = _text(frame, "cid")
    if cid is not None and not 0 < len(cid) <= MAX_CID_CHARS:
        raise ProtocolError(errors.BAD_FRAME,
                            f"The field 'cid' must have 1 to {MAX_CID_CHARS} characters.")
    return cid


def _number(frame: dict, field: str, required: bool = False):
    """A finite number >= 0, or None when absent/null."""
    value = frame.get(field)
    if value is None:
        if required:
            raise ProtocolError(errors.BAD_FRAME, f"The field '{field}' is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        raise ProtocolError(errors.BAD_FRAME,
                            f"The field '{field}' must be a number of 0 or more.")
    return value


def _login(frame: dict) -> Login:
    seq = frame.get("seq", 0)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ProtocolError(errors.BAD_FRAME, "The field 'seq' must be an integer >= 0.")
    session = _text(frame, "session")
    return Login(_text(frame, "nick", True), _text(frame, "password") or None,
                 resumable=frame.get("resumable") is True or session is not None,
                 session=session, seq=seq, cnonce=_text(frame, "cnonce"),
                 proof=_text(frame, "proof"))


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
    "login": _login,
    "msg": lambda f: Say(_text(f, "text", True), _text(f, "to"), _cid(f)),
    "users": lambda f: AskUsers(),
    "whoami": lambda f: AskWhoami(),
    "logout": lambda f: Logout(),
    "ping": lambda f: Ping(_ping_id(f)),
    "down": lambda f: Down(_text(f, "reason")),
    "kick": lambda f: Kick(_text(f, "nick", True), _text(f, "reason"),
                           _number(f, "minutes")),
    "bans": lambda f: AskBans(),
    "challenge": lambda f: AskChallenge(),
    "unban": lambda f: Unban(_text(f, "nick", True)),
    "mute": lambda f: Mute(_text(f, "nick")),
    "unmute": lambda f: Unmute(_text(f, "nick")),
    "slow": lambda f: Slow(_number(f, "seconds", True)),
}


# ---- server side: encode events ----------------------------------------------

def message_fields(event: Message) -> dict:
    fields = {"type": "msg", "id": event.id, "ts": event.ts, "from": event.sender,
              "to": event.to, "text": event.text, "seq": event.seq}
    if event.cid is not None:
        fields["cid"] = event.cid
    if event.admin:
        fields["admin"] = True
    return fields


def _optional(fields: dict, name: str, value) -> dict:
    if value is not None:
        fields[name] = value
    return fields


def _pong_fields(event: Pong) -> dict:
    return {"type": "pong"} if event.id is NO_ID else {"type": "pong", "id": event.id}


def _welcome_fields(e: Welcome) -> dict:
    fields = {"type": "welcome", "nick": e.nick, "users": list(e.users), "admin": e.admin,
              "history": [message_fields(m) for m in e.history], "server": e.server,
              "admins": list(e.admins), "seq": e.seq, "muted": list(e.muted),
              "muted_all": e.muted_all, "slow": e.slow}
    if e.session is not None:
        fields.update(session=e.session, heartbeat=e.heartbeat, grace=e.grace)
    if e.resumed:
        fields["resumed"] = True
    if e.gap:
        fields["gap"] = True
    if e.server_proof is not None:
        fields["server_proof"] = e.server_proof
    return fields


def _error_fields(e: Error) -> dict:
    fields = {"type": "error", "code": e.code, "message": e.message}
    _optional(fields, "cid", e.cid)
    return _optional(fields, "until", e.until)


def _ban_fields(ban: Ban) -> dict:
    return {"nick": ban.nick, "ip": ban.ip, "until": ban.until, "by": ban.by,
            "reason": ban.reason}


_EVENT_FIELDS = {
    Message: message_fields,
    Welcome: _welcome_fields,
    Joined: lambda e: {"type": "joined", "nick": e.nick, "ts": e.ts, "admin": e.admin,
                       "seq": e.seq},
    Left: lambda e: _optional(_optional({"type": "left", "nick": e.nick, "reason": e.reason,
                                         "ts": e.ts, "seq": e.seq}, "message", e.message),
                              "by", e.by),
    UserList: lambda e: {"type": "users", "users": list(e.users), "admins": list(e.admins)},
    Identity: lambda e: {"type": "whoami", "nick": e.nick, "admin": e.admin},
    Pong: _pong_fields,
    Error: _error_fields,
    Bye: lambda e: _optional(_optional(_optional({"type": "bye", "reason": e.reason},
                                                 "message", e.message),
                                       "minutes", e.minutes), "by", e.by),
    Shutdown: lambda e: {"type": "shutdown", "by": e.by, "reason": e.reason},
    BanList: lambda e: {"type": "bans", "bans": [_ban_fields(b) for b in e.bans]},
    Notice: lambda e: {"type": "notice", "text": e.text, "ts": e.ts},
    Challenge: lambda e: {"type": "challenge", "nonce": e.nonce},
    RoomState: lambda e: {"type": "room", "muted": list(e.muted), "muted_all": e.muted_all,
                          "slow": e.slow},
}


def encode_event(event) -> bytes:
    """One JSON line; b"" for an event that has no JSON frame (HelpText: the answer to the
    text dialect's `-help`, which no JSON client can ask for)."""
    if type(event) is Message:
        return _encode_message(event)
    fields = _EVENT_FIELDS.get(type(event))
    if fields is None:
        return b""
    return (_dumps(fields(event)) + "\n").encode("utf-8")


def _encode_message(event: Message) -> bytes:
    # The hot path of every chat line: formatted directly, same bytes as json.dumps.
    to = "null" if event.to is None else _quote(event.to)
    extra = ""
    if event.cid is not None:
        extra = f',"cid":{_quote(event.cid)}'
    if event.admin:
        extra += ',"admin":true'
    return (f'{{"type":"msg","id":{event.id},"ts":{event.ts},"from":{_quote(event.sender)},'
            f'"to":{to},"text":{_quote(event.text)},"seq":{event.seq}{extra}}}\n'
            ).encode("utf-8")


# ---- client side -------------------------------------------------------------

def _command_fields(command) -> dict:
    if isinstance(command, Login):
        fields = _optional({"type": "login", "nick": command.nick}, "password",
                           command.password)
        if command.resumable:
            fields["resumable"] = True
        if command.session is not None:
            fields.update(session=command.session, seq=command.seq)
        if command.proof is not None:
            fields.update(cnonce=command.cnonce, proof=command.proof)
        return fields
    if isinstance(command, Say):
        return _optional({"type": "msg", "text": command.text, "to": command.to},
                         "cid", command.cid)
    if isinstance(command, Ping):
        return {"type": "ping"} if command.id is NO_ID else {"type": "ping", "id": command.id}
    if isinstance(command, Down):
        return _optional({"type": "down"}, "reason", command.reason)
    if isinstance(command, Kick):
        return _optional(_optional({"type": "kick", "nick": command.nick}, "reason",
                                   command.reason), "minutes", command.minutes)
    if isinstance(command, (Unban, Mute, Unmute)):
        name = {Unban: "unban", Mute: "mute", Unmute: "unmute"}[type(command)]
        return _optional({"type": name}, "nick", command.nick)
    if isinstance(command, Slow):
        return {"type": "slow", "seconds": command.seconds}
    simple = {AskUsers: "users", AskWhoami: "whoami", Logout: "logout", AskBans: "bans",
              AskChallenge: "challenge"}
    if type(command) not in simple:
        # Help: the text dialect's `-help` has no JSON frame; a client answers it itself.
        raise LocalProtocolError(f"{type(command).__name__} has no JSON frame.")
    return {"type": simple[type(command)]}


def encode_command(command) -> bytes:
    return (_dumps(_command_fields(command)) + "\n").encode("utf-8")


def _str(value) -> str:
    if not isinstance(value, str):
        raise TypeError("a string was expected")
    return value


def _strings(values) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise TypeError("a list was expected")
    return tuple(_str(v) for v in values)


def _int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("an integer was expected")
    return value


def _message(f: dict) -> Message:
    to = f.get("to")
    cid = f.get("cid")
    return Message(_int(f["id"]), _int(f["ts"]), _str(f["from"]),
                   None if to is None else _str(to), _str(f["text"]),
                   _int(f.get("seq", 0)), None if cid is None else _str(cid),
                   f.get("admin") is True)


def _welcome(f: dict) -> Welcome:
    session = f.get("session")
    return Welcome(_str(f["nick"]), _strings(f["users"]), bool(f.get("admin")),
                   tuple(_message(m) for m in f.get("history", ())),
                   _str(f.get("server", "")), _strings(f.get("admins", [])),
                   seq=_int(f.get("seq", 0)),
                   session=None if session is None else _str(session),
                   heartbeat=float(f.get("heartbeat", 0)), grace=float(f.get("grace", 0)),
                   resumed=f.get("resumed") is True, gap=f.get("gap") is True,
                   muted=_strings(f.get("muted", [])), muted_all=f.get("muted_all") is True,
                   slow=float(f.get("slow", 0)), server_proof=f.get("server_proof"))


def _ban(f: dict) -> Ban:
    return Ban(f.get("nick"), f.get("ip"), _int(f["until"]), _str(f.get("by", "")),
               f.get("reason"))


_EVENTS = {
    "msg": _message,
    "welcome": _welcome,
    "joined": lambda f: Joined(_str(f["nick"]), _int(f.get("ts", 0)), bool(f.get("admin")),
                               _int(f.get("seq", 0))),
    "left": lambda f: Left(_str(f["nick"]), _str(f.get("reason", "disconnected")),
                           _int(f.get("ts", 0)), f.get("message"), _int(f.get("seq", 0)),
                           f.get("by")),
    "users": lambda f: UserList(_strings(f["users"]), _strings(f.get("admins", []))),
    "whoami": lambda f: Identity(_str(f["nick"]), bool(f.get("admin"))),
    "pong": lambda f: Pong(f.get("id", NO_ID)),
    "error": lambda f: Error(_str(f["code"]), _str(f.get("message", "")), f.get("cid"),
                             f.get("until")),
    "bye": lambda f: Bye(_str(f.get("reason", "")), f.get("message"), f.get("minutes"),
                         f.get("by")),
    "shutdown": lambda f: Shutdown(_str(f.get("by", "server")), _str(f.get("reason", ""))),
    "bans": lambda f: BanList(tuple(_ban(b) for b in f["bans"])),
    "notice": lambda f: Notice(_str(f["text"]), _int(f.get("ts", 0))),
    "challenge": lambda f: Challenge(_str(f["nonce"])),
    "room": lambda f: RoomState(_strings(f.get("muted", [])), f.get("muted_all") is True,
                                float(f.get("slow", 0))),
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
