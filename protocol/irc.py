"""IRC, sans-IO: lines to messages and messages to lines (RFC 1459/2812, IRCv3 tags).

Nothing here knows the room. `LineReader` frames bytes with IRC's limits, `parse` turns
one line into a `Line` (tags, prefix, command, params), `line`/`numeric` build the bytes
the server sends, and `split_text` cuts a long text at character boundaries so each
line fits in 512 bytes. Any input is parsed or refused with `RemoteProtocolError`; a line
we could not send (a space in a middle parameter, a newline anywhere) raises
`LocalProtocolError`.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from protocol.framing import LineDecoder, TooLong

MAX_LINE = 512            # bytes in a line without its tags, CR LF included
MAX_TAGS = 8191           # bytes of tags, '@' and the space after them included
MAX_TAGGED_LINE = MAX_TAGS + MAX_LINE
MAX_PARAMS = 15

__all__ = ["Line", "LineReader", "TooLong", "RemoteProtocolError", "LocalProtocolError",
           "parse", "line", "numeric", "split_text", "server_time", "strip_formatting",
           "MAX_LINE", "MAX_TAGS", "MAX_TAGGED_LINE"]


class RemoteProtocolError(Exception):
    """The peer sent a line that is not IRC; `numeric` is the answer (417, or 0: none)."""

    def __init__(self, message: str, numeric: int = 0):
        super().__init__(message)
        self.numeric = numeric


class LocalProtocolError(Exception):
    """We tried to build a line IRC cannot carry: a bug of ours, never sent."""


@dataclass(frozen=True, slots=True)
class Line:
    command: str                          # upper case; a numeric stays "001"
    params: tuple[str, ...] = ()
    prefix: str | None = None             # "nick!user@host" or a server name
    tags: dict = field(default_factory=dict, compare=True, hash=False)


class LineReader:
    """Bytes in, lines out: each `bytes` (CR LF gone, blank lines skipped) or `TooLong`.

    The buffer never holds more than one line's worth (tags + 512): a peer sending 10 MB
    without a newline costs one `TooLong` and nothing more.
    """

    def __init__(self, max_line: int = MAX_TAGGED_LINE):
        self._decoder = LineDecoder(max_line)

    def feed(self, data: bytes) -> list:
        return self._decoder.feed(data)

    def finish(self) -> list:
        return self._decoder.finish()


# ---- reading ---------------------------------------------------------------------

_TAG_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_TAG_ESCAPE = {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}
_COMMAND = re.compile(r"[A-Za-z]+|[0-9]{3}")


def parse(raw: bytes | str) -> Line:
    """One line (without CR LF) -> a Line; RemoteProtocolError if it is not IRC."""
    if isinstance(raw, bytes):
        raw = _decode(raw)
    if "\0" in raw or "\r" in raw or "\n" in raw:
        raise RemoteProtocolError("NUL, CR or LF inside a line")
    rest = raw
    tags: dict = {}
    if rest.startswith("@"):
        head, _, rest = rest.partition(" ")
        if len(head.encode("utf-8")) + 1 > MAX_TAGS:
            raise RemoteProtocolError("Tags too long", 417)
        tags = _parse_tags(head[1:])
        rest = rest.lstrip(" ")
    if len(rest.encode("utf-8")) + 2 > MAX_LINE:
        raise RemoteProtocolError("Input line was too long", 417)
    prefix = None
    if rest.startswith(":"):
        prefix, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
        if not prefix:
            raise RemoteProtocolError("an empty prefix")
    command, _, rest = rest.partition(" ")
    if not _COMMAND.fullmatch(command):
        raise RemoteProtocolError(f"not a command: {command[:20]!r}")
    params: list[str] = []
    while rest:
        rest = rest.lstrip(" ")
        if not rest:
            break
        if rest.startswith(":") or len(params) == MAX_PARAMS - 1:
            params.append(rest[1:] if rest.startswith(":") else rest)
            break
        param, _, rest = rest.partition(" ")
        params.append(param)
    return Line(command.upper(), tuple(params), prefix, tags)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Old clients send Latin-1 or CP1252: keep what is readable, mark the rest.
        return raw.decode("utf-8", "replace")


def _parse_tags(text: str) -> dict:
    tags = {}
    for item in text.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not key or " " in key:
            raise RemoteProtocolError(f"a bad tag: {key[:20]!r}")
        tags[key] = _unescape(value)
    return tags


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    out = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_TAG_UNESCAPE.get(following, following))
        else:
            out.append(char)
    return "".join(out)


# ---- writing ---------------------------------------------------------------------

def line(command: str, *params: str, prefix: str | None = None,
         tags: dict | None = None, trailing: bool = False) -> bytes:
    """A line with CR LF. The last parameter is sent as trailing (after ':') when it
    needs to be (empty, with a space, starting with ':') or when `trailing` says so
    (text meant for people, which some clients only look for there)."""
    parts = []
    if tags:
        parts.append("@" + ";".join(k if v is None or v == "" else f"{k}={_escape(v)}"
                                    for k, v in tags.items()))
    if prefix:
        parts.append(":" + prefix)
    parts.append(command)
    for index, param in enumerate(params):
        if "\r" in param or "\n" in param or "\0" in param:
            raise LocalProtocolError(f"a line break in a parameter of {command}")
        last = index == len(params) - 1
        if last and (trailing or not param or " " in param or param.startswith(":")):
            param = ":" + param
        elif not last and (not param or " " in param or param.startswith(":")):
            raise LocalProtocolError(f"a middle parameter of {command} cannot be {param!r}")
        parts.append(param)
    return (" ".join(parts) + "\r\n").encode("utf-8")


def _escape(value: str) -> str:
    return "".join(_TAG_ESCAPE.get(char, char) for char in value)


def numeric(server: str, code: int, target: str, *params: str) -> bytes:
    """`:server 433 target params…`; `target` is the recipient's nick, or `*` before it
    has one."""
    return line(f"{code:03d}", target or "*", *params, prefix=server, trailing=True)


def server_time(ts_ms: int) -> str:
    """The IRCv3 `time` tag's value for milliseconds since the epoch."""
    moment = datetime.fromtimestamp(ts_ms / 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"


def split_text(text: str, budget: int) -> list[str]:
    """`text` in pieces of at most `budget` UTF-8 bytes each, cut between characters
    (at a space when one is in the last third of a piece, so words stay whole)."""
    if budget < 4:
        raise LocalProtocolError("no room for even one character")
    pieces = []
    while len(text.encode("utf-8")) > budget:
        cut = _fits(text, budget)
        space = text.rfind(" ", 0, cut)
        if space > cut * 2 // 3:
            cut = space
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ") if space == cut else text[cut:]
    if text or not pieces:
        pieces.append(text)
    return pieces


def _fits(text: str, budget: int) -> int:
    """How many characters of `text` fit in `budget` bytes (at least one)."""
    used = 0
    for index, char in enumerate(text):
        used += len(char.encode("utf-8"))
        if used > budget:
            return max(index, 1)
    return len(text)


# mIRC formatting: bold, colour (with its digits), hex colour, reset, monospace, italic,
# strike, underline, reverse. The room removes control characters but not the colour's
# digits, so "\x0304red" would arrive as "04red" without this.
_FORMATTING = re.compile(r"\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?"
                         r"|[\x02\x0f\x11\x1d\x1e\x1f\x16]")


def strip_formatting(text: str) -> str:
    return _FORMATTING.sub("", text)
