"""The event loop: one thread, one selector, every socket non-blocking.

Reading decodes frames and hands them to the chat room one at a time; handlers only
queue bytes on connections. After each round of dispatch the loop sends what was
queued, one `send` per connection, and asks for write-readiness only for the bytes
the kernel would not take.
"""

import errno
import logging
import selectors
import socket
import time

from protocol import errors
from protocol.events import Bye, Error, Shutdown
from protocol.text_codec import PROMPT
from server.chat import ChatRoom
from server.connection import Connection, send_to_all
from server.dialects import UNDECIDED, TextLines, detect
from server.dialects.web import WebAssets
from server.lan import lan_addresses
from server.outgoing import Outgoing
from server.settings import Settings

log = logging.getLogger(__name__)

RECV_SIZE = 65536          # larger reads measured slower, and bound the work per pass
ACCEPT_BATCH = 64          # accepts per wake-up, so a connect storm cannot starve chat
ACCEPT_PAUSE = 1.0         # seconds without accepting after running out of descriptors
TICK = 0.5                 # the longest select() sleeps: deadlines are checked this often
FRAMES_PER_ROUND = 64      # frames of one connection handled per round; the rest wait
# Events queued per round (a message to 100 users is 100) before the round ends early and
# the remaining ready sockets wait for the next one: 10,000 users leaving at once must
# not freeze the loop, and bystanders get their messages between the rounds.
DELIVERIES_PER_ROUND = 200_000
CLOSE_COST = 100           # closing a socket costs about as much as 100 deliveries
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_LISTENER = "listener"
_WAKEUP = "wakeup"


class ChatServer:
    """`store` (server/store.py) keeps the lesson across restarts; None keeps nothing."""

    def __init__(self, settings: Settings, clock=time.monotonic, store=None, web=None):
        self.settings = settings
        self.store = store
        self.web = web if web is not None else WebAssets()   # the browser client's files
        self.room = ChatRoom(settings, send_to_all=send_to_all, store=store,
                             local_addresses=this_machine())
        self.room.deliveries = 0
        self.connections: set[Connection] = set()
        self._clock = clock
        self._dirty: list[Connection] = []
        self._backlog: list[Connection] = []     # connections with frames still to handle
        self._deferred: list = []                # ready sockets a busy round left over
        self._slow_readers: set[Connection] = set()   # output left over after a send
        self._per_address: dict[str, int] = {}
        self._this_machine = this_machine()
        self._shutdown_request: Shutdown | None = None
        self._accept_paused_until: float | None = None
        self._next_sweep = clock() + TICK
        self.selector = selectors.DefaultSelector()
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        self.listener = socket.create_server((settings.host, settings.port), family=family,
                                             backlog=1024)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, _LISTENER)
        self._wakeup_reader, self._wakeup_writer = socket.socketpair()
        self._wakeup_reader.setblocking(False)
        self._wakeup_writer.setblocking(False)
        self.selector.register(self._wakeup_reader, selectors.EVENT_READ, _WAKEUP)

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def request_shutdown(self, by: str = "server", reason: str = "") -> None:
        """Safe from a signal handler or another thread: the loop shuts down soon after."""
        self._shutdown_request = Shutdown(by, reason)
        try:
            self._wakeup_writer.send(b"\0")
        except OSError:
            pass  # the wake-up buffer is full: the loop is waking anyway

    def serve_forever(self) -> None:
        try:
            while True:
                room = self.room
                room.deliveries = 0
                busy = self._backlog or self._dirty or self._deferred
                ready = self.selector.select(0 if busy else TICK)
                if self._deferred:
                    # Those the last round had no time for go first, so a bystander's
                    # message is not stuck behind a storm of sockets that come first.
                    waiting = {key.fd for key, _ in self._deferred}
                    ready = self._deferred + [e for e in ready if e[0].fd not in waiting]
                    self._deferred = []
                for index, (key, mask) in enumerate(ready):
                    if room.deliveries > DELIVERIES_PER_ROUND:
                        self._deferred = ready[index:]
                        break
                    self._dispatch(key.data, mask)
                if self._backlog:
                    self._work_backlog()
                room.flush_lefts()
                # Kept before it is echoed: a message a client saw confirmed survives kill -9.
                self.room.flush_store()
                self._flush_dirty()
                shutdown = self._shutdown_request or self.room.shutdown_request
                if shutdown:
                    self._shut_down(shutdown)
                    return
                if self._clock() >= self._next_sweep:
                    self._sweep()
        finally:
            self._close_everything()

    # ---- events ----------------------------------------------------------------

    def _dispatch(self, target, mask: int) -> None:
        if target is _LISTENER:
            self._accept()
        elif target is _WAKEUP:
            self._drain_wakeup()
        else:
            if mask & selectors.EVENT_WRITE and not target.closed:
                self._flush(target)
            if mask & selectors.EVENT_READ and not target.closed:
                self._read(target)

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                sock, address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in _OUT_OF_DESCRIPTORS:
                    self._pause_accepting(error)
                    return
                continue  # e.g. ECONNABORTED: that client gave up; others may wait
            self._welcome_socket(sock, address)

    def _welcome_socket(self, sock: socket.socket, address) -> None:
        sock.setblocking(False)
        settings = self.settings
        ip = address[0]
        reserve = len(self.connections) >= settings.max_clients
        refusal = None
        if len(self.connections) >= settings.max_clients + settings.admin_seats:
            refusal = "The server is full; try again later."
        elif (self._per_address.get(ip, 0) >= settings.max_per_address
                and ip not in self._this_machine):
            refusal = (f"Too many connections from {ip} ({settings.max_per_address}); close "
                       "one and try again.")
        if refusal:
            log.warning("%s:%s refused: %s", ip, address[1], refusal)
            _send_once(sock, Outgoing(Error(errors.SERVER_FULL, refusal)).json)
            sock.close()
            return
        _tune(sock)
        conn = Connection(sock, address, self.settings, self._clock, self._dirty)
        conn.reserve = reserve
        self.connections.add(conn)
        self._per_address[ip] = self._per_address.get(ip, 0) + 1
        self.selector.register(sock, selectors.EVENT_READ, conn)
        log.info("%s connected", conn.tag)

    def _pause_accepting(self, error: OSError) -> None:
        # Accepting again at once would fail again at once: a 100% CPU spin.
        log.warning("cannot accept connections (%s); pausing accepts for %.0f s",
                    error.strerror, ACCEPT_PAUSE)
        self.selector.unregister(self.listener)
        self._accept_paused_until = self._clock() + ACCEPT_PAUSE

    def _drain_wakeup(self) -> None:
        try:
            while self._wakeup_reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn, "disconnected")
            return
        if not data:
            self._end_of_stream(conn)
            return
        conn.last_heard = self._clock()
        if conn.dialect is None:
            data = self._choose_dialect(conn, data)
            if conn.dialect is None:
                return   # not enough bytes yet to tell
        if conn.closing:
            return  # it was told goodbye: what it says now changes nothing
        frames = conn.dialect.feed(data)
        if frames:
            conn.pending = frames
            self._handle_pending(conn)

    def _choose_dialect(self, conn: Connection, data: bytes, final: bool = False) -> bytes:
        """Pick the connection's dialect from its first bytes; returns the bytes it is to
        be fed (those kept while undecided, and these)."""
        head = conn.undecided + data
        dialect = detect(head)
        if dialect is UNDECIDED and not final:
            conn.undecided = head
            return b""
        conn.undecided = b""
        conn.switch_dialect((dialect or TextLines)(conn, self.settings, self.web))
        return head

    def _handle_pending(self, conn: Connection) -> None:
        """Up to a round's worth of a connection's frames. While some wait, it is not
        read, so one packet of 3,000 commands cannot hold the loop or grow its memory."""
        pending = conn.pending
        end = min(len(pending), FRAMES_PER_ROUND)
        handled = 0
        while handled < end:
            self._handle_safely(conn, pending[handled])
            handled += 1
            if conn.closing:
                handled = len(pending)   # told goodbye: the rest changes nothing
                break
            if conn.overflowed:
                break   # over its output limit: the flush decides whether it stays
        if handled == len(pending):
            conn.pending = []
        else:
            del pending[:handled]
        if conn.pending:
            if not conn.paused:
                conn.paused = True
                self._update_interest(conn)
            self._backlog.append(conn)
        elif conn.paused:
            conn.paused = False
            self._update_interest(conn)

    def _work_backlog(self) -> None:
        backlog, self._backlog = self._backlog, []
        for conn in backlog:
            if not conn.closed:
                self._handle_pending(conn)

    def _end_of_stream(self, conn: Connection) -> None:
        if not conn.closing:
            if conn.dialect is None and conn.undecided:
                head = self._choose_dialect(conn, b"", final=True)
                for frame in conn.dialect.feed(head):
                    self._handle_safely(conn, frame)
            if conn.dialect is not None:
                for frame in conn.dialect.finish():
                    self._handle_safely(conn, frame)
        self.room.connection_lost(conn, "disconnected")
        if not conn.output:
            self._close(conn, "disconnected")
            return
        # The peer may only have closed its sending side: it still gets its answers.
        conn.close_after_output()
        conn.reading = False
        if conn.writing:
            self._update_interest(conn)  # stop reading; the write interest stays
        else:
            self._flush(conn)  # no write interest yet: asking for none would close it

    def _handle_safely(self, conn: Connection, frame) -> None:
        try:
            self._handle(conn, frame)
        except Exception:
            # A bug of ours, not the client's fault; this connection's state is suspect.
            log.exception("%s: error while handling a frame; closing the connection",
                          conn.tag)
            conn.close_after_output()

    def _handle(self, conn: Connection, frame) -> None:
        conn.dialect.handle(frame, self.room)

    # ---- output ----------------------------------------------------------------

    def _flush_dirty(self) -> None:
        dirty = self._dirty
        room = self.room
        budget = room.deliveries + DELIVERIES_PER_ROUND
        while dirty:
            batch = dirty[:]
            dirty.clear()
            for done, conn in enumerate(batch):
                if room.deliveries > budget:
                    # A send that fails closes its connection and tells everyone (`left`):
                    # past the budget the rest waits for the next round, kept in order.
                    dirty[:0] = batch[done:]
                    return
                if conn.closed:
                    continue
                if not conn.writing:
                    self._flush(conn)
                if conn.overflowed and not conn.closed:
                    if conn.output_size > self.settings.max_output + conn.allowance:
                        self._drop(conn)  # queues `left` for others: the next batch
                    else:
                        conn.overflowed = False
            if len(self._slow_readers) > 1:
                self._hold_memory_ceiling()

    def _hold_memory_ceiling(self) -> None:
        """All the output waiting for slow readers together stays under --max-queued:
        past it, the largest offenders are dropped first."""
        waiting = sum(conn.output_size for conn in self._slow_readers)
        if waiting <= self.settings.max_queued:
            return
        for conn in sorted(self._slow_readers, key=lambda c: c.output_size, reverse=True):
            if waiting <= self.settings.max_queued:
                break
            waiting -= conn.output_size
            log.warning("%s dropped: %d bytes wait for all slow readers together (limit %d)",
                        conn.tag, waiting + conn.output_size, self.settings.max_queued)
            self._drop(conn)

    def _flush(self, conn: Connection) -> None:
        if conn.output:
            data = conn.take_output()
            try:
                sent = conn.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._close(conn, "disconnected")
                return
            if sent < len(data):
                conn.keep_unsent(memoryview(data)[sent:])
                if not conn.writing:
                    conn.writing = True
                    self._slow_readers.add(conn)
                    self._update_interest(conn)
                return
            conn.allowance = 0
        if conn.writing:
            conn.writing = False
            self._slow_readers.discard(conn)
            self._update_interest(conn)
        if conn.closing:
            self._close(conn, "disconnected")

    def _drop(self, conn: Connection) -> None:
        log.warning("%s dropped: %d bytes waited to be read (limit %d)",
                    conn.tag, conn.output_size, self.settings.max_output)
        unsent = bytes(conn.take_output())
        if conn.wire.line_based:
            # The kernel may have taken only part of the first frame: its end goes before
            # `bye`, or the two would run together into one broken line.
            rest_of_frame = unsent[:unsent.find(b"\n") + 1]
            _send_once(conn.sock, rest_of_frame + Outgoing(Bye("dropped")).encoded(conn.wire))
        self._close(conn, "dropped")

    def _update_interest(self, conn: Connection) -> None:
        events = ((selectors.EVENT_READ if conn.reading and not conn.paused else 0)
                  | (selectors.EVENT_WRITE if conn.writing else 0))
        if events:
            if conn.registered:
                self.selector.modify(conn.sock, events, conn)
            else:
                self.selector.register(conn.sock, events, conn)
                conn.registered = True
        elif conn.paused and conn.reading and not conn.closed:
            # Frames wait and nothing is to be written: not watched until they are handled.
            self.selector.unregister(conn.sock)
            conn.registered = False
        else:
            self._close(conn, "disconnected")

    def _close(self, conn: Connection, reason: str) -> None:
        if conn.closed:
            return
        conn.closed = True
        self.room.deliveries += CLOSE_COST
        self.connections.discard(conn)
        self._slow_readers.discard(conn)
        left = self._per_address.get(conn.ip, 1) - 1
        if left:
            self._per_address[conn.ip] = left
        else:
            self._per_address.pop(conn.ip, None)
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass  # never registered, or its descriptor is already gone
        conn.sock.close()
        self.room.connection_lost(conn, reason)
        log.info("%s closed", conn.tag)

    # ---- time ------------------------------------------------------------------

    def _sweep(self) -> None:
        now = self._clock()
        self._next_sweep = now + TICK
        if self._accept_paused_until is not None and now >= self._accept_paused_until:
            self._accept_paused_until = None
            self.selector.register(self.listener, selectors.EVENT_READ, _LISTENER)
            log.info("accepting connections again")
        settings = self.settings
        silent_since = now - settings.heartbeat_timeout
        prompt_since = now - settings.prompt_after
        for conn in list(self.connections):
            if now >= conn.deadline:
                if conn.closing:
                    self._close(conn, "disconnected")   # it would not take its last words
                elif conn.nick is None:
                    log.info("%s: no login within %.0f s", conn.tag, settings.login_timeout)
                    if conn.dialect is None:
                        conn.wire = TextLines   # it never said a word: a person at a terminal
                    conn.send(Outgoing(Bye("timeout")))
                    conn.close_after_output()
            elif conn.session is not None and conn.last_heard < silent_since:
                # A resumable client promised a heartbeat: silence means the link died.
                log.info("%s: silent for %.0f s; taking the link for dead", conn.tag,
                         now - conn.last_heard)
                self._close(conn, "disconnected")
            elif conn.dialect is None and not conn.prompted and conn.connected_at < prompt_since:
                conn.prompted = True
                if not _waiting_to_be_read(conn.sock):   # a busy loop may just be late
                    conn.queue(_PROMPT)
            tick = getattr(conn.dialect, "tick", None)   # a dialect's own timers (IRC's PING)
            if tick is not None and not conn.closed:
                tick(now)
        self.room.tick()
        self._flush_dirty()

    # ---- the end ---------------------------------------------------------------

    def _shut_down(self, shutdown: Shutdown) -> None:
        log.warning("shutting down (by %s)%s", shutdown.by,
                    f": {shutdown.reason}" if shutdown.reason else "")
        self.room.closing = True   # everyone is told `shutdown`: no `left` for each of them
        if self._accept_paused_until is None:  # while paused it is not registered
            self.selector.unregister(self.listener)
        self.listener.close()
        notice = Outgoing(shutdown)
        for conn in list(self.connections):
            conn.send(notice)
            conn.close_after_output()
        self.room.flush_store()
        deadline = self._clock() + self.settings.shutdown_grace
        while self.connections and self._clock() < deadline:
            # Nothing is broadcast any more, so no budget: flush until all is sent.
            self.room.deliveries = 0
            self._flush_dirty()
            if not self.connections:
                break
            wait = 0 if self._dirty else deadline - self._clock()
            for key, mask in self.selector.select(max(0, wait)):
                if isinstance(key.data, Connection):
                    self._dispatch(key.data, mask)
        if self.connections:
            log.warning("%d connections did not take their shutdown notice in %.0f s",
                        len(self.connections), self.settings.shutdown_grace)

    def _close_everything(self) -> None:
        for conn in list(self.connections):
            self._close(conn, "disconnected")
        for sock in (self.listener, self._wakeup_reader, self._wakeup_writer):
            sock.close()
        self.selector.close()
        if self.store is not None:
            self.store.close()


def this_machine() -> set[str]:
    """The addresses a connection from this very machine comes from: the teacher at the
    server's keyboard (127.0.0.2 and the rest of 127/8 count as other machines in tests)."""
    return {"127.0.0.1", "::1", "::ffff:127.0.0.1", *lan_addresses()}


_PROMPT = (PROMPT + "\n").encode("utf-8")

# TCP keepalive, so that a peer that vanished (no FIN, no RST) is found within about a
# minute even when it never speaks: probes after 20 s of silence, every 10 s, 4 misses.
# TCP_USER_TIMEOUT does the same while data waits unacknowledged.
_KEEPALIVE = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)] + [
    (socket.IPPROTO_TCP, getattr(socket, name), value)
    for name, value in (("TCP_KEEPIDLE", 20), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 4),
                        ("TCP_USER_TIMEOUT", 60_000))
    if hasattr(socket, name)]


def _tune(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for level, option, value in _KEEPALIVE:
            sock.setsockopt(level, option, value)
    except OSError:
        pass  # not a TCP socket (or already reset): nothing to tune


def _waiting_to_be_read(sock: socket.socket) -> bool:
    """Whether the peer has sent bytes the loop has not read yet."""
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except OSError:
        return False   # nothing yet (would block), or the connection is gone


def _send_once(sock: socket.socket, data: bytes) -> None:
    """A last word to a socket about to close: sent if the kernel takes it now."""
    try:
        sock.send(data)
    except OSError:
        pass  # it cannot take it; it is closed all the same
