"""Per-socket state: buffers, dialect, rate limit and deadlines. No I/O here either:
the loop owns the socket calls, a Connection only holds what they need."""

from server.dialects import JsonLines
from server.outgoing import Outgoing
from server.settings import Settings


class TokenBucket:
    """`capacity` tokens, refilled at `rate` a second; each `msg` takes one."""

    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: int, now: float):
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self.stamp = now

    def take(self, now: float, weight: float = 1) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < weight:
            return False
        self.tokens -= weight
        return True


class Connection:
    __slots__ = (
        "sock", "ip", "port", "nick", "admin", "dialect", "wire", "undecided", "output",
        "output_size", "reading", "writing", "closing", "closed", "overflowed", "deadline",
        "session", "last_heard", "connected_at", "prompted", "allowance",
        "pending", "paused", "registered", "reserve", "challenge",
        "_bucket", "_work", "_settings", "_clock", "_dirty", "_max_output",
    )

    def __init__(self, sock, address, settings: Settings, clock, dirty: list):
        self.sock = sock
        self.ip, self.port = address[0], address[1]
        self.nick: str | None = None
        self.admin = False
        self.dialect = None                 # chosen from the first bytes (server.dialects)
        self.wire = JsonLines               # how events are encoded for it: JSON until known
        self.undecided = b""                # first bytes that do not yet tell the dialect
        self.output: list[bytes] = []       # bytes queued, not yet sent
        self.output_size = 0
        self.reading = True                 # until the peer's end of stream
        self.writing = False                # write interest is registered
        self.closing = False                # close once the output has gone out
        self.closed = False
        self.overflowed = False             # output passed the limit: check after a send
        self.deadline = clock() + settings.login_timeout   # for the login, then linger
        self.session = None                 # the room's Session for a resumable login
        self.connected_at = self.last_heard = clock()   # last_heard: for the heartbeat
        self.prompted = False               # a silent newcomer was told what to type
        # Bytes of big answers (welcome, user list) queued since the output was last
        # empty: the server never drops a client for the size of its own answer.
        self.allowance = 0
        self.pending: list = []             # frames read but not yet handled (a burst)
        self.paused = False                 # not read until `pending` is handled
        self.registered = True              # with the selector
        self.reserve = False                # on a seat kept for admins
        self.challenge = None               # the nonce of an admin login by proof
        self._bucket = (TokenBucket(settings.rate_limit, settings.rate_burst, clock())
                        if settings.rate_limit > 0 else None)
        # Every other command costs work too (a user list of 5,000 names costs more
        # than a ping): one budget for all of them.
        self._work = (TokenBucket(settings.command_rate, settings.command_burst, clock())
                      if settings.command_rate > 0 else None)
        self._settings = settings
        self._clock = clock
        self._dirty = dirty                 # the loop's list of connections to flush
        self._max_output = settings.max_output

    @property
    def tag(self) -> str:
        where = f"{self.ip}:{self.port}"
        return f"{where}/{self.nick}" if self.nick else where

    def send(self, outgoing: Outgoing) -> None:
        # Called once per recipient of every event: kept lean on purpose.
        if self.closing:
            return
        self.queue(outgoing.json if self.wire is JsonLines else self._encoded(outgoing))

    def send_answer(self, outgoing: Outgoing) -> None:
        """A welcome or a user list: the largest one queued never counts towards a drop
        (a client that asks for more of them than it reads is dropped all the same)."""
        if self.closing:
            return
        data = outgoing.json if self.wire is JsonLines else self._encoded(outgoing)
        if len(data) > self.allowance:
            self.allowance = len(data)
        self.queue(data)

    def _encoded(self, outgoing: Outgoing) -> bytes:
        wire = self.wire
        if getattr(wire, "personal", False):
            # IRC names the recipient in its numerics and echoes a sender's own message
            # only on request: its dialect makes these bytes, sharing what it can.
            return self.dialect.render(outgoing)
        return outgoing.encoded(wire)

    def queue(self, data: bytes) -> None:
        """The one way bytes go into the output buffer."""
        output = self.output
        if not output:
            self._dirty.append(self)
        output.append(data)
        self.output_size += len(data)
        if self.output_size > self._max_output + self.allowance and not self.overflowed:
            # Over the limit unless a send takes it: the loop checks after trying,
            # even while this connection waits to be writable.
            self.overflowed = True
            self._dirty.append(self)

    def switch_dialect(self, dialect) -> None:
        """Speak `dialect` from now on (an HTTP connection upgraded to WebSocket)."""
        self.dialect = dialect
        self.wire = type(dialect)

    def clock(self) -> float:
        return self._clock()

    def close_after_output(self) -> None:
        if not self.closing:
            self.closing = True
            # A peer that stops reading must not hold its socket open for ever.
            self.deadline = self._clock() + self._settings.shutdown_grace
            if not self.output:
                self._dirty.append(self)

    def may_send_message(self) -> bool:
        return self._bucket is None or self._bucket.take(self._clock())

    def may_work(self, weight: float) -> bool:
        return self._work is None or self._work.take(self._clock(), weight)

    def take_output(self) -> bytes:
        output = self.output
        data = output[0] if len(output) == 1 else b"".join(output)
        output.clear()
        self.output_size = 0
        return data

    def keep_unsent(self, rest: memoryview) -> None:
        # A copy: a view would keep the whole joined buffer alive for its last bytes.
        self.output.insert(0, bytes(rest))
        self.output_size += len(rest)


def send_to_all(outgoing: Outgoing, connections) -> None:
    """Connection.send for many recipients, inlined: a broadcast's cost is this loop.
    Every wire that shares its bytes (JSON, WebSocket, text) is appended here; only a
    personal one (IRC) goes through Connection.send."""
    data = outgoing.json
    last_wire, last_data = JsonLines, data    # the bytes of the wire met last
    for conn in connections:
        if conn.closing:
            continue
        wire = conn.wire
        if wire is not last_wire:
            if wire is JsonLines:
                chunk = data
            elif getattr(wire, "personal", False):
                conn.send(outgoing)
                continue
            else:
                chunk = outgoing.encoded(wire)
            last_wire, last_data = wire, chunk
        chunk = last_data
        output = conn.output
        if not output:
            conn._dirty.append(conn)
        output.append(chunk)
        conn.output_size += len(chunk)
        if conn.output_size > conn._max_output + conn.allowance and not conn.overflowed:
            conn.overflowed = True
            conn._dirty.append(conn)
