"""A small, strict HTTP/1.1 server side, sans-IO: request heads in, answers out.

The chat port serves the browser client too: a browser fetches the page and its files
with GET, then asks to switch the connection to WebSocket. This module reads request
heads and writes responses; it never touches a socket, a thread or a clock, so a
response carries no `Date` header unless the caller adds one.

Reading (`RequestReader`)
    `feed(bytes)` returns a list of `Request` events, one per complete head; several
    requests on one connection (keep-alive, even pipelined) are fine. The buffer holds
    at most one head (`max_head` bytes) and is never searched again from the start.

    Decisions, where the RFCs leave a choice:
    - Only GET and HEAD are served, so no request has a body. Any other method is
      refused with 405 (and `Allow: GET, HEAD`) by the reader itself: it cannot know
      where such a request's body ends without reading it, so the connection cannot go
      on anyway. A GET/HEAD with `Content-Length` > 0 gets 413, with
      `Transfer-Encoding` 501 (a coding we do not implement, RFC 9112 §6.1).
    - A bare LF ends a line as well as CRLF (RFC 9112 §2.2 allows it; h11 does it too);
      a CR anywhere else in a line is a 400. Empty lines before a request line are
      skipped (RFC 9112 §2.2).
    - HTTP/1.0 and HTTP/1.1 only; another HTTP/x.y gets 505.
    - HTTP/1.1 needs exactly one `Host`; HTTP/1.0 may omit it but never repeat it.
    - Obsolete line folding, white space before a header's colon, control characters:
      400 (RFC 9112 §5.1, §5.2).
    - A request with an `Upgrade` header pauses the reader: it is the last event of
      that feed, and the bytes read past its head are in `reader.trailing` (the start
      of the WebSocket stream). Feeding a paused reader is our misuse; `resume()`
      goes on with HTTP (and parses `trailing`) if the upgrade is refused but the
      connection kept.

Errors, in two directions (as h11 has them)
    `RemoteProtocolError`: the peer broke the protocol. `status` is the answer to send
    and `headers` the extra headers it needs (`Allow`, `Sec-WebSocket-Version`,
    `Upgrade`); `events` holds the requests decoded earlier in the same feed. The
    caller handles those, sends `error_response(exc.status, headers=exc.headers)` and
    closes the connection once that is written: the reader is dead (feeding it again
    raises `LocalProtocolError`).
    `LocalProtocolError`: we misused the codec (an invalid header in a response,
    feeding a failed or paused reader). A bug here, never the peer's doing.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 8192
WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SERVED_METHODS = ("GET", "HEAD")


class HttpError(Exception):
    """Every error this module raises."""


class RemoteProtocolError(HttpError):
    """The peer sent something we refuse; answer `status` with `headers`, then close."""

    def __init__(self, status: int, message: str, headers: tuple = ()):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.headers = tuple(headers)
        self.events: list = []  # requests decoded before the fault, in the same feed


class LocalProtocolError(HttpError):
    """We tried to do something the protocol does not allow: a bug on our side."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request head. Header names are lower case; values are latin-1 decoded."""
    method: str
    target: str
    headers: tuple      # ((name_lower, value), ...) in the order received
    http_version: str   # "1.0" or "1.1"

    def values(self, name: str) -> list:
        """Every value of header `name` (lower case), in order."""
        return [value for key, value in self.headers if key == name]

    def get(self, name: str):
        """The value of a header sent once; None if absent or repeated."""
        values = self.values(name)
        return values[0] if len(values) == 1 else None

    def tokens(self, name: str) -> list:
        """A comma-separated list header as lower-case items (`Connection`, `Upgrade`)."""
        return [item.strip().lower() for value in self.values(name)
                for item in value.split(",") if item.strip()]

    @property
    def path(self) -> str:
        """The target's path, without the query (also for an absolute-form target)."""
        if self.target.startswith("/"):
            return self.target.split("?", 1)[0].split("#", 1)[0]
        return urlsplit(self.target).path or "/"

    @property
    def keep_alive(self) -> bool:
        """Whether the connection may carry another request after this one."""
        connection = self.tokens("connection")
        if "close" in connection:
            return False
        return self.http_version == "1.1" or "keep-alive" in connection


# RFC 9110 §5.6.2 token; RFC 9112 §3 request line; §5 field lines.
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])")
_HEADER_NAME = re.compile(_TOKEN)
# A field value once trimmed: visible characters, obs-text, and SP/HTAB between them.
# (Trimmed with strip(), not in the pattern: `[ \t]*` on both sides of an optional
# value backtracks quadratically over a line of spaces.)
_HEADER_VALUE = re.compile(rb"[\x20-\x7e\x80-\xff\t]*")
_HEAD_END = re.compile(rb"\n\r?\n")
_TOKEN_STR = re.compile(_TOKEN.decode())
# Host = uri-host [ ":" port ]: an IP literal or a reg-name / IPv4 address.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+;=]*)(?::[0-9]*)?")


class RequestReader:
    """Feed bytes, get `Request` events; raises `RemoteProtocolError` on the peer's faults."""

    def __init__(self, max_head: int = MAX_HEAD_BYTES):
        self.max_head = max_head
        self.trailing = b""       # after an upgrade request: the bytes past its head
        self.paused = False
        self._buffer = bytearray()
        self._searched = 0        # bytes of _buffer already searched for the head's end
        self._failed = False

    def feed(self, data: bytes) -> list:
        if self._failed:
            raise LocalProtocolError("the request reader already failed")
        if self.paused:
            raise LocalProtocolError("the reader is paused after an upgrade request")
        self._buffer += data
        return self._parse()

    def resume(self) -> list:
        """Go on with HTTP after a refused upgrade: parse the bytes kept in `trailing`."""
        if self._failed or not self.paused:
            raise LocalProtocolError("resume() needs a reader paused by an upgrade request")
        self.paused = False
        self._buffer = bytearray(self.trailing)
        self.trailing = b""
        return self._parse()

    def _parse(self) -> list:
        events: list = []
        try:
            while not self.paused and self._next_request(events):
                pass
        except RemoteProtocolError as exc:
            self._failed = True
            self._buffer = bytearray()
            exc.events = events
            raise
        return events

    def _next_request(self, events: list) -> bool:
        """Take one complete head off the buffer; False when more bytes are needed."""
        buffer = self._buffer
        self._skip_empty_lines()
        # A head's end is 2 or 3 bytes long: look again only at the bytes that may be
        # part of one, so the buffer is never rescanned.
        end = _HEAD_END.search(buffer, max(0, self._searched - 2))
        if end is None:
            if len(buffer) > self.max_head:
                raise RemoteProtocolError(431, "request head too large")
            self._searched = len(buffer)
            return False
        if end.end() > self.max_head:
            raise RemoteProtocolError(431, "request head too large")
        request = _parse_head(bytes(buffer[:end.start()]))
        del buffer[:end.end()]
        self._searched = 0
        events.append(request)
        if request.values("upgrade"):
            self.paused = True
            self.trailing = bytes(buffer)
            buffer.clear()
        return bool(buffer)

    def _skip_empty_lines(self) -> None:
        """Drop CRLFs before a request line (a request line never starts with one)."""
        buffer = self._buffer
        while True:
            if buffer[:1] == b"\n":
                skip = 1
            elif buffer[:2] == b"\r\n":
                skip = 2
            else:
                return
            del buffer[:skip]
            self._searched = max(0, self._searched - skip)


def _parse_head(head: bytes) -> Request:
    lines = [line[:-1] if line.endswith(b"\r") else line for line in head.split(b"\n")]
    method, target, version = _parse_request_line(lines[0])
    headers = tuple(_parse_header_line(line) for line in lines[1:])
    request = Request(method, target, headers, version)
    _check_host(request)
    _check_no_body(request)
    return request


def _parse_request_line(line: bytes) -> tuple:
    match = _REQUEST_LINE.fullmatch(line)
    if match is None:
        raise RemoteProtocolError(400, "malformed request line")
    method, target, major, minor = match.groups()
    if (major, minor) not in ((b"1", b"0"), (b"1", b"1")):
        raise RemoteProtocolError(505, "only HTTP/1.0 and HTTP/1.1 are served")
    target_str = target.decode("ascii")
    if not (target_str.startswith("/") or target_str.lower().startswith(("http://", "https://"))):
        raise RemoteProtocolError(400, "request target must be a path or an absolute URL")
    return method.decode("ascii"), target_str, f"{major.decode()}.{minor.decode()}"


def _parse_header_line(line: bytes) -> tuple:
    if line[:1] in (b" ", b"\t"):
        raise RemoteProtocolError(400, "obsolete line folding")
    name, colon, value = line.partition(b":")
    value = value.strip(b" \t")
    if not colon or not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
        raise RemoteProtocolError(400, "malformed header line")
    return name.decode("ascii").lower(), value.decode("latin-1")


def _check_host(request: Request) -> None:
    hosts = request.values("host")
    if len(hosts) > 1:
        raise RemoteProtocolError(400, "more than one Host header")
    if not hosts and request.http_version == "1.1":
        raise RemoteProtocolError(400, "HTTP/1.1 request without Host")
    if hosts and not _HOST.fullmatch(hosts[0]):
        raise RemoteProtocolError(400, "malformed Host header")


def _check_no_body(request: Request) -> None:
    if request.method not in SERVED_METHODS:
        raise RemoteProtocolError(405, f"method {request.method} not allowed",
                                  (("Allow", "GET, HEAD"),))
    if request.values("transfer-encoding"):
        raise RemoteProtocolError(501, "Transfer-Encoding is not implemented")
    lengths = set()
    for value in request.values("content-length"):
        if not value.isascii() or not value.isdigit():
            raise RemoteProtocolError(400, "malformed Content-Length")
        lengths.add(value.lstrip("0") or "0")  # as a string: int() refuses 5000 digits
    if len(lengths) > 1:
        raise RemoteProtocolError(400, "conflicting Content-Length headers")
    if lengths and lengths != {"0"}:
        raise RemoteProtocolError(413, "request bodies are not accepted")


# --- writing ---------------------------------------------------------------------------

_BODILESS = (101, 204, 304)  # statuses that never carry a body nor a Content-Length


@dataclass(frozen=True, slots=True)
class Response:
    """A response to encode: `bytes(Response(200, [("Content-Type", ...)], body))`.

    `Content-Length` is added here from the body; giving it, or `Transfer-Encoding`,
    in `headers` is a `LocalProtocolError`.
    """
    status: int
    headers: tuple = ()
    body: bytes = b""

    def encode(self, head_request: bool = False) -> bytes:
        """The response's bytes; for a HEAD request the body is left out (not its length)."""
        if not 100 <= self.status <= 599:
            raise LocalProtocolError(f"status {self.status} out of range")
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        for name, value in self.headers:
            _check_response_header(name, value)
            lines.append(f"{name}: {value}")
        body = bytes(self.body)
        if self.status in _BODILESS:
            if body:
                raise LocalProtocolError(f"a {self.status} response has no body")
        else:
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head if head_request else head + body

    def __bytes__(self) -> bytes:
        return self.encode()


def _check_response_header(name, value) -> None:
    if not isinstance(name, str) or not _TOKEN_STR.fullmatch(name):
        raise LocalProtocolError(f"invalid header name {name!r}")
    if name.lower() in ("content-length", "transfer-encoding"):
        raise LocalProtocolError(f"{name} is set by the codec")
    if (not isinstance(value, str) or any(c in value for c in "\r\n\0")
            or value != value.strip(" \t")):
        raise LocalProtocolError(f"invalid value for header {name}")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"header {name} is not latin-1") from None


def error_response(status: int, message: str | None = None, *, headers=(),
                   security_headers=(), close: bool | None = None,
                   head_request: bool = False) -> bytes:
    """A short text/plain answer (400, 404, 405, 413, 426, 431, 501, 505 ...).

    `headers` are the error's own (`RemoteProtocolError.headers`); `security_headers`
    the ones the server adds to every page answer. The connection closes after every
    error but a 404 unless `close` says otherwise; the caller closes it once written.
    """
    if not 400 <= status <= 599:
        raise LocalProtocolError(f"{status} is not an error status")
    if close is None:
        close = status != 404
    if message is None:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "Error"
    all_headers = [("Content-Type", "text/plain; charset=utf-8"), *security_headers, *headers]
    if close:
        # RFC 9110 §7.8: whoever sends Upgrade (a 426 does) names it in Connection too.
        has_upgrade = any(name.lower() == "upgrade" for name, _ in all_headers)
        all_headers.append(("Connection", "Upgrade, close" if has_upgrade else "close"))
    body = f"{status} {message}\n".encode("utf-8")
    return Response(status, tuple(all_headers), body).encode(head_request)


# --- the WebSocket handshake (RFC 6455 §4.2) ------------------------------------------

def websocket_accept(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §1.3, §4.2.2)."""
    digest = hashlib.sha1(key.encode("ascii") + WEBSOCKET_GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def check_upgrade(request: Request) -> str:
    """The Sec-WebSocket-Key of a valid upgrade request, or `RemoteProtocolError`.

    400 for a handshake that is not one; 426 (with `Upgrade: websocket`) when the
    request does not ask for WebSocket at all; 426 with `Sec-WebSocket-Version: 13`
    for another version. Extensions and subprotocols offered are ignored: the answer
    (`upgrade_response`) selects none, which RFC 6455 §4.2.2 allows.
    """
    if "websocket" not in request.tokens("upgrade"):
        raise RemoteProtocolError(426, "this address speaks WebSocket",
                                  (("Upgrade", "websocket"),))
    if request.method != "GET" or request.http_version != "1.1":
        raise RemoteProtocolError(400, "a WebSocket handshake is an HTTP/1.1 GET")
    if "upgrade" not in request.tokens("connection"):
        raise RemoteProtocolError(400, "Connection header lacks 'upgrade'")
    if request.get("sec-websocket-version") != "13":
        raise RemoteProtocolError(426, "only WebSocket version 13 is spoken",
                                  (("Sec-WebSocket-Version", "13"),))
    key = request.get("sec-websocket-key")
    if key is None or not _is_websocket_key(key):
        raise RemoteProtocolError(400, "missing or malformed Sec-WebSocket-Key")
    return key


def _is_websocket_key(key: str) -> bool:
    try:
        return len(key) == 24 and len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def upgrade_response(key: str, headers=()) -> bytes:
    """The 101 answer that switches a connection to WebSocket."""
    return Response(101, (("Upgrade", "websocket"), ("Connection", "Upgrade"),
                          ("Sec-WebSocket-Accept", websocket_accept(key)),
                          *headers)).encode()


def origin_matches_host(request: Request) -> bool:
    """Whether the page that opened this WebSocket came from this server.

    A browser always sends `Origin` with a WebSocket handshake and a page cannot
    forge it, so comparing it with `Host` stops another site's page from talking to
    the chat in a student's name (cross-site WebSocket hijacking). A request without
    `Origin` comes from a program (a test, a script), which could send any Origin it
    likes: refusing it would protect nothing, so it is allowed. Ports are compared
    with the Origin's scheme default filled in (80 for http, 443 for https).
    """
    origins = request.values("origin")
    if not origins:
        return True
    host = request.get("host")
    if len(origins) > 1 or host is None:
        return False
    try:
        origin = urlsplit(origins[0])
        if origin.scheme not in ("http", "https") or not origin.hostname:
            return False
        default = 80 if origin.scheme == "http" else 443
        origin_port = origin.port or default
        served = urlsplit("//" + host)
        host_port = served.port or default
    except ValueError:
        return False
    if origin.path or origin.query or origin.fragment or origin.username is not None:
        return False
    return (origin.hostname == (served.hostname or "").lower()
            and origin_port == host_port)
