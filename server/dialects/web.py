"""The browser's dialects: HTTP serves the page, and /ws becomes a WebSocket that carries
the JSON dialect (one JSON object per text message)."""

import logging
import mimetypes
import re
from pathlib import Path

from protocol import http, websocket
from protocol.errors import ProtocolError
from protocol.events import Bye, Error
from protocol.json_codec import decode_command
from server.outgoing import Outgoing

log = logging.getLogger(__name__)

WEB_CLIENT = Path(__file__).resolve().parent.parent.parent / "web_client"
# One catalog of translations for both clients: the page loads /locale/<code>.json.
LOCALE = WEB_CLIENT.parent / "desktop_client" / "locale"
MAX_WS_MESSAGE = 65536     # bytes in one WebSocket message from a browser

SECURITY_HEADERS = (
    ("Content-Security-Policy",
     "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
     "script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
_METHOD = re.compile(rb"[A-Z]{1,8}")
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".html": "text/html", ".json": "application/json", ".svg": "image/svg+xml",
          ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain"}


class WebAssets:
    """The browser client's files, read once at start: the loop never waits on the disk."""

    def __init__(self, root: Path = WEB_CLIENT, extra: dict | None = None,
                 locale: Path = LOCALE):
        self.files: dict[str, tuple[str, bytes, tuple]] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    self.add("/" + path.relative_to(root).as_posix(), path.read_bytes())
        if locale.is_dir():
            for path in sorted(locale.glob("*.json")):
                self.add(f"/locale/{path.name}", path.read_bytes())
        if "/index.html" in self.files:
            self.files["/"] = self.files["/index.html"]
        for name, (body, headers) in (extra or {}).items():
            self.add(name, body, headers)

    def add(self, name: str, body: bytes, headers: tuple = ()) -> None:
        suffix = Path(name).suffix.lower()
        kind = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/json", "image/svg+xml"):
            kind += "; charset=utf-8"
        self.files[name] = (kind, body, tuple(headers))

    def response(self, request: http.Request) -> bytes:
        found = self.files.get(request.path)
        if found is None:
            return http.error_response(404, "No such page. The chat is at /.",
                                       security_headers=SECURITY_HEADERS,
                                       head_request=request.method == "HEAD")
        kind, body, headers = found
        answer = http.Response(200, (("Content-Type", kind), ("Cache-Control", "no-cache"),
                                     *SECURITY_HEADERS, *headers,
                                     *(() if request.keep_alive else
                                       (("Connection", "close"),))), body)
        return answer.encode(head_request=request.method == "HEAD")


class _HttpFailure:
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


class Http:
    """A browser fetching the page; `GET /ws` turns the connection into a WebSocket."""

    name = "http"
    line_based = False

    @staticmethod
    def claims(first: bytes):
        word = _METHOD.match(first)
        if word is None:
            return False
        rest = first[word.end():]
        if not rest or rest == b" ":
            return None                      # "GE" or "GET ": what comes next decides
        return rest[:2] in (b" /", b" h")    # "GET /…" or "GET http://…"

    def __init__(self, conn, settings, web: WebAssets):
        self.conn = conn
        self.settings = settings
        self.web = web
        self.reader = http.RequestReader()
        conn.deadline = conn.connected_at + settings.request_timeout

    def feed(self, data: bytes) -> list:
        try:
            return self.reader.feed(data)
        except http.RemoteProtocolError as failure:
            return [*failure.events, _HttpFailure(failure)]

    def finish(self) -> list:
        return []

    def handle(self, frame, room) -> None:
        conn = self.conn
        if type(frame) is _HttpFailure:
            failure = frame.error
            conn.queue(http.error_response(failure.status, failure.message,
                                           headers=failure.headers,
                                           security_headers=SECURITY_HEADERS))
            conn.close_after_output()
            return
        if frame.path == "/ws":
            self._upgrade(frame)
            return
        conn.queue(self.web.response(frame))
        if frame.keep_alive:
            conn.deadline = conn.clock() + self.settings.request_timeout
        else:
            conn.close_after_output()

    def _upgrade(self, request: http.Request) -> None:
        conn = self.conn
        try:
            key = http.check_upgrade(request)
            if not http.origin_matches_host(request):
                raise http.RemoteProtocolError(403, "this page may only be used from the "
                                                    "chat server's own address")
        except http.RemoteProtocolError as refusal:
            log.info("%s: WebSocket refused: %s", conn.tag, refusal)
            conn.queue(http.error_response(refusal.status, refusal.message,
                                           headers=refusal.headers,
                                           security_headers=SECURITY_HEADERS))
            conn.close_after_output()
            return
        conn.queue(http.upgrade_response(key))
        conn.deadline = conn.clock() + self.settings.login_timeout
        socket_dialect = WebSocket(conn, self.settings)
        conn.switch_dialect(socket_dialect)
        if self.reader.trailing:
            conn.pending.extend(socket_dialect.feed(self.reader.trailing))

    @staticmethod
    def encode(outgoing) -> bytes:
        # An HTTP connection gets no chat events; a slow request is told so and closed.
        event = outgoing.event
        if type(event) is Bye and event.reason == "timeout":
            return http.error_response(408, "The request took too long.",
                                       security_headers=SECURITY_HEADERS)
        return b""


class _WsFailure:
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


class WebSocket:
    """RFC 6455 after the handshake: each text message is one JSON-dialect frame."""

    name = "ws"
    line_based = False

    @staticmethod
    def claims(first: bytes):
        return False     # only ever reached through an HTTP upgrade

    def __init__(self, conn, settings, web=None):
        self.conn = conn
        self.reader = websocket.FrameReader(max(settings.max_frame, MAX_WS_MESSAGE))

    def feed(self, data: bytes) -> list:
        try:
            return self.reader.feed(data)
        except websocket.RemoteProtocolError as failure:
            return [*failure.events, _WsFailure(failure)]

    def finish(self) -> list:
        return []

    def handle(self, frame, room) -> None:
        conn = self.conn
        kind = type(frame)
        if kind is websocket.TextMessage:
            try:
                command = decode_command(frame.text.encode("utf-8"))
            except ProtocolError as refusal:
                conn.send(Outgoing(Error(refusal.code, refusal.message)))
                return
            room.handle(conn, command)
        elif kind is websocket.Ping:
            conn.queue(websocket.pong(frame.payload))
        elif kind is websocket.Pong:
            pass   # it is alive: reading it was enough
        elif kind is websocket.Close:
            conn.queue(websocket.close_reply(frame))
            conn.close_after_output()
        elif kind is websocket.BinaryMessage:
            conn.queue(websocket.close(websocket.UNSUPPORTED_DATA, "the chat speaks text"))
            conn.close_after_output()
        else:   # _WsFailure: the browser broke the protocol
            conn.queue(websocket.close(frame.error.code, frame.error.reason))
            conn.close_after_output()

    @staticmethod
    def encode(outgoing) -> bytes:
        return websocket.text_frame(outgoing.json[:-1])   # the JSON line without "\n"
