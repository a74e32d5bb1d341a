"""The client's life cycle, its heartbeat and its back-off, decided without Tk or sockets.

`Phase` is the connection's state with checked transitions (as wsproto's connection
state): a move the table does not allow is our own bug and raises `LocalStateError`
instead of leaving the window in a state nobody designed. `Heartbeat` and `Backoff`
take the time (and the randomness) from their caller, so tests need no clock.
"""

import enum
import random
from typing import Callable, Optional


class LocalStateError(Exception):
    """The client tried a move its life cycle does not allow (our mistake, not the peer's)."""


class Phase(str, enum.Enum):
    OFFLINE = "offline"            # the connect dialog; never logged in yet
    CONNECTING = "connecting"      # the first login is under way
    ONLINE = "online"
    RECONNECTING = "reconnecting"  # the link was lost: trying again, forever
    SHUT_DOWN = "shutdown"         # the server stopped: trying again quietly until it is back
    KICKED = "kicked"              # removed by an admin: never tries again
    REFUSED = "refused"            # a login was refused (password, ban): waits for the user
    LOGGED_OUT = "logged_out"      # the user left: the end

    def __str__(self) -> str:
        return self.value


_P = Phase
ALLOWED = {
    _P.OFFLINE: {_P.CONNECTING, _P.LOGGED_OUT},
    # A first login that fails goes back to the dialog (OFFLINE).
    _P.CONNECTING: {_P.ONLINE, _P.OFFLINE, _P.LOGGED_OUT},
    _P.ONLINE: {_P.RECONNECTING, _P.SHUT_DOWN, _P.KICKED, _P.LOGGED_OUT},
    _P.RECONNECTING: {_P.RECONNECTING, _P.ONLINE, _P.SHUT_DOWN, _P.REFUSED, _P.KICKED,
                      _P.LOGGED_OUT},
    _P.SHUT_DOWN: {_P.SHUT_DOWN, _P.RECONNECTING, _P.ONLINE, _P.REFUSED, _P.KICKED,
                   _P.LOGGED_OUT},
    _P.REFUSED: {_P.RECONNECTING, _P.LOGGED_OUT},
    _P.KICKED: {_P.LOGGED_OUT},
    _P.LOGGED_OUT: set(),
}

# Phases in which the client keeps trying to get back by itself.
RETRYING = frozenset({_P.RECONNECTING, _P.SHUT_DOWN})
# Phases in which a typed message waits in the outbox instead of being refused.
QUEUEING = frozenset({_P.ONLINE, _P.RECONNECTING, _P.SHUT_DOWN})


class LifeCycle:
    def __init__(self):
        self.phase = Phase.OFFLINE

    def move(self, to: Phase) -> None:
        if to not in ALLOWED[self.phase]:
            raise LocalStateError(f"cannot go from {self.phase.value} to {to.value}")
        self.phase = to


# ---- heartbeat ----------------------------------------------------------------------

DEFAULT_HEARTBEAT = 20.0   # for a server that does not say (baseline contract)
PONG_WAIT_MIN = 5.0        # seconds without a frame after a ping before the link is dead
LOGIN_WAIT = 10.0          # seconds for the welcome after the socket is up


class Heartbeat:
    """Pings every `interval` seconds and calls the link dead when nothing at all has
    come back within `wait` seconds of the oldest unanswered ping (or of the login)."""

    def __init__(self, now: float, interval: float = DEFAULT_HEARTBEAT,
                 wait: Optional[float] = None, expect_by: Optional[float] = None):
        self.interval = interval
        self.wait = wait if wait is not None else max(PONG_WAIT_MIN, interval / 2)
        self.last_ping = now
        # The login counts as an unanswered ping until the welcome comes.
        self.unanswered_since: Optional[float] = now
        self.expect_by = expect_by if expect_by is not None else now + LOGIN_WAIT

    @classmethod
    def online(cls, now: float, heartbeat: float) -> "Heartbeat":
        beat = cls(now, heartbeat if heartbeat > 0 else DEFAULT_HEARTBEAT)
        beat.unanswered_since, beat.expect_by = None, None
        return beat

    def heard(self, now: float) -> None:
        """Any frame from the server proves the link is alive."""
        self.unanswered_since, self.expect_by = None, None

    def tick(self, now: float) -> str:
        """'dead', 'ping' (send one now) or '' (nothing to do)."""
        if self.expect_by is not None and now >= self.expect_by:
            return "dead"
        if now - self.last_ping >= self.interval:
            self.last_ping = now
            if self.unanswered_since is None:
                self.unanswered_since = now
                self.expect_by = now + self.wait
            return "ping"
        return ""


# ---- reconnecting -------------------------------------------------------------------

BACKOFF_FIRST = 1.0
BACKOFF_CAP = 15.0
JITTER = 0.2               # each delay is moved by up to ±20 %, so a class does not stampede


class Backoff:
    """1, 2, 4, 8, 15, 15 … seconds (with jitter) between attempts; reset once back."""

    def __init__(self, first: Optional[float] = None, cap: Optional[float] = None,
                 rand: Callable[[], float] = random.random):
        self.first = BACKOFF_FIRST if first is None else first
        self.cap = BACKOFF_CAP if cap is None else cap
        self.rand = rand
        self.attempt = 0

    def next_delay(self) -> float:
        base = min(self.cap, self.first * 2 ** min(self.attempt, 30))
        self.attempt += 1
        return base * (1 + JITTER * (2 * self.rand() - 1))

    def reset(self) -> None:
        self.attempt = 0
