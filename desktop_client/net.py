"""The socket side of the client: threads that never touch Tk.

`Connection.start()` connects and logs in on a background thread, which then reads
frames, decodes them with protocol/ and puts `(connection, kind, payload)` tuples on
the queue the Tk thread drains. A second thread writes, so a slow network can never
block the window. Kinds: "event" (a protocol event), "failed" (could not connect;
payload is a sentence), "closed" (the stream ended; payload is a detail or "").

The admin password never goes on the wire: with one, the login is a proof
(protocol/auth.py): ask for a challenge, answer it with an HMAC, and check that the
server's welcome proves it knows the password too; a server that cannot prove it is
refused before anything else happens.

A server frame may be far longer than a client's (a welcome holds every nick and the
history), so the decoder accepts up to `protocol.MAX_SERVER_FRAME`. Lines that are not
JSON objects (the plain-text prompt a server sends to a silent connection) are skipped.
"""

import dataclasses
import logging
import queue
import secrets
import socket
import threading
import time

from protocol import MAX_SERVER_FRAME, auth, json_codec
from protocol.errors import ProtocolError
from protocol.events import AskChallenge, Challenge, Error, Login, Welcome
from protocol.framing import LineDecoder, TooLong
from desktop_client.i18n import _

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 6.0
POST_WAIT = 0.2        # how often a reader waiting on a full queue checks for close()
READ_SIZE = 65536
_STOP = object()


def describe_connect_error(host: str, port: int, error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        return _("Cannot find the computer “{host}”. Check the server address.").format(
            host=host)
    if isinstance(error, ConnectionRefusedError):
        return _("No chat server is running on {host}:{port}. Is the server started?").format(
            host=host, port=port)
    if isinstance(error, (socket.timeout, TimeoutError)):
        return _("{host}:{port} did not answer. Check the address and the network.").format(
            host=host, port=port)
    return _("Cannot connect to {host}:{port}: {error}.").format(
        host=host, port=port, error=error.strerror or error)


class Connection:
    def __init__(self, host: str, port: int, events: queue.Queue):
        self.host, self.port = host, port
        self._events = events
        self._outbox: queue.Queue = queue.Queue()
        self._sock: socket.socket | None = None
        self._closing = threading.Event()
        self._writer: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self._login: Login | None = None        # waiting for the server's challenge
        self._key: bytes | None = None          # the password's key, for the proofs
        self._expected_proof: str | None = None # what the welcome must carry

    def start(self, login: Login) -> None:
        self._reader = threading.Thread(target=self._run, args=(login,),
                                        name="chat-reader", daemon=True)
        self._reader.start()

    def send(self, command) -> None:
        """Queue a command; the writer thread sends it. Never blocks."""
        self._outbox.put(json_codec.encode_command(command))

    def close(self, flush_timeout: float = 0.0) -> None:
        """Stop. With a flush timeout, queued commands (a logout) get that long to go
        out and the server that long to answer and close its end, so nothing is lost."""
        self._closing.set()
        self._outbox.put(_STOP)
        sock = self._sock
        if flush_timeout and self._writer is not None and sock is not None:
            deadline = time.monotonic() + flush_timeout
            self._writer.join(flush_timeout)
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if self._reader is not None:
                self._reader.join(max(0.0, deadline - time.monotonic()))
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ---- background threads ------------------------------------------------------

    def _post(self, kind: str, payload) -> bool:
        """Hand an item to the Tk thread. The queue is bounded: when the window is
        behind, the reader waits here instead of reading on (so memory stays flat and
        the server's output limit decides); a closed connection stops waiting."""
        item = (self, kind, payload)
        while True:
            try:
                self._events.put(item, timeout=POST_WAIT)
                return True
            except queue.Full:
                if self._closing.is_set():
                    return False

    def _run(self, login: Login) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
        except OSError as error:
            self._post("failed", describe_connect_error(self.host, self.port, error))
            return
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        if self._closing.is_set():
            sock.close()
            return
        if login.password:
            self._login, self._key = login, auth.password_key(login.password)
            self.send(AskChallenge())
        else:
            self.send(login)
        self._writer = threading.Thread(target=self._write, name="chat-writer", daemon=True)
        self._writer.start()
        detail = self._read(sock)
        self._closing.set()
        self._outbox.put(_STOP)
        try:
            sock.close()
        except OSError:
            pass
        self._post("closed", detail)

    def _read(self, sock: socket.socket) -> str:
        decoder = LineDecoder(MAX_SERVER_FRAME)
        while True:
            try:
                data = sock.recv(READ_SIZE)
            except OSError as error:
                return "" if self._closing.is_set() else (error.strerror or str(error))
            frames = decoder.feed(data) if data else decoder.finish()
            for frame in frames:
                if isinstance(frame, bytes) and not frame.lstrip()[:1] == b"{":
                    continue   # a prompt for people at a terminal, not for us
                event = self._decode(frame)
                if self._key is not None:
                    event = self._authenticate(event)
                    if event is None:
                        continue
                    if isinstance(event, str):
                        self._post("failed", event)
                        self._closing.set()
                        return ""
                if not self._post("event", event):
                    return ""
            if not data:
                return ""

    def _authenticate(self, event):
        """The proof login's two steps; None: nothing to show, a str: refuse the server."""
        if isinstance(event, Challenge) and self._login is not None:
            cnonce = secrets.token_hex(auth.NONCE_BYTES)
            login, self._login = self._login, None
            proof = auth.client_proof(self._key, event.nonce, cnonce, login.nick)
            self._expected_proof = auth.server_proof(self._key, event.nonce, cnonce)
            self.send(dataclasses.replace(login, password=None, cnonce=cnonce, proof=proof))
            return None
        if isinstance(event, Welcome):
            expected, self._expected_proof, self._key = self._expected_proof, None, None
            if event.admin and not event.resumed and (
                    expected is None or not auth.proofs_match(expected,
                                                              event.server_proof or "")):
                return _("This server could not prove that it knows the admin password, so "
                         "it may not be your server. Nothing was sent; check the address.")
        return event

    @staticmethod
    def _decode(frame):
        if isinstance(frame, TooLong):
            return Error("line_too_long", _("The server sent a line that is too long; skipped."))
        try:
            return json_codec.decode_event(frame)
        except ProtocolError as problem:
            log.warning("bad frame from the server: %s", problem)
            return Error(problem.code, _("The server sent something unreadable ({code}).").format(
                code=problem.code))

    def _write(self) -> None:
        sock = self._sock
        while True:
            data = self._outbox.get()
            if data is _STOP:
                return
            try:
                sock.sendall(data)
            except OSError:
                return   # the reader sees the end of the stream and reports it
