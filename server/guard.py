"""How many admin passwords may be tried, from where, and who is let in while others guess.

The rules (docs/reliability.md, "Guessing the admin password"):

1. Per address: 5 wrong passwords within a minute lock that address's admin logins for a
   minute; each new lock of the same address lasts twice as long, up to 15 minutes.
   A nick that never gave a wrong password from that address is still let through, so a
   teacher who shares a lab machine (one address) with a guesser can log in.
2. Server-wide: at most 30 wrong passwords a minute are checked, whatever the addresses;
   past that, password logins are refused unchecked until the minute is over. This
   machine's own addresses (the teacher at the server's keyboard) are exempt.
3. Everything is forgotten an hour after its last failure, so the table stays small.

No clocks of its own: every method takes `now` (monotonic seconds).
"""

from collections import deque
from dataclasses import dataclass, field

FORGET_AFTER = 3600.0
MAX_LOCK = 900.0


@dataclass
class _Address:
    failures: deque = field(default_factory=deque)   # (time, nick key) within the window
    nicks: set = field(default_factory=set)          # nick keys that failed from here
    locked_until: float = 0.0
    locks: int = 0                                   # how many times it was locked
    last: float = float("-inf")                      # the last failure


@dataclass(frozen=True)
class Verdict:
    """What a wrong password led to, for the caller's one log line per burst."""
    locked_for: float          # seconds this failure locked the address for (0: not)
    first_of_burst: bool       # the first failure from this address in a while
    ceiling_reached: bool      # this failure reached the server-wide ceiling


class PasswordGuard:
    def __init__(self, failures: int = 5, window: float = 60.0, ceiling: int = 30,
                 local: frozenset = frozenset()):
        self.failures = failures
        self.window = window
        self.ceiling = ceiling
        self.local = local                 # this machine's addresses: exempt from the ceiling
        self._addresses: dict[str, _Address] = {}
        self._recent: deque[float] = deque()   # every failure within the window
        self._next_forget = 0.0

    def locked(self, ip: str, nick_key: str, now: float) -> float:
        """Seconds before `nick_key` may try a password from `ip`; 0: it may now."""
        self._trim(self._recent, now)
        if ip not in self.local and len(self._recent) >= self.ceiling:
            return self._recent[0] + self.window - now
        address = self._addresses.get(ip)
        if address is None or address.locked_until <= now:
            return 0.0
        if nick_key not in address.nicks:
            return 0.0                     # only other nicks failed from here
        return address.locked_until - now

    def failed(self, ip: str, nick_key: str, now: float) -> Verdict:
        self._forget_old(now)
        self._trim(self._recent, now)
        self._recent.append(now)
        address = self._addresses.setdefault(ip, _Address())
        first = not address.failures and now - address.last > self.window
        address.last = now
        address.nicks.add(nick_key)
        failures = address.failures
        while failures and failures[0][0] <= now - self.window:
            failures.popleft()
        failures.append((now, nick_key))
        locked_for = 0.0
        if len(failures) >= self.failures:
            locked_for = min(MAX_LOCK, self.window * 2 ** address.locks)
            address.locks += 1
            address.locked_until = now + locked_for
            failures.clear()
        return Verdict(locked_for, first, len(self._recent) == self.ceiling)

    @property
    def tracked(self) -> int:
        return len(self._addresses)

    def _trim(self, times: deque, now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def _forget_old(self, now: float) -> None:
        if now < self._next_forget:
            return
        self._next_forget = now + self.window
        stale = [ip for ip, a in self._addresses.items()
                 if a.last < now - FORGET_AFTER and a.locked_until < now]
        for ip in stale:
            del self._addresses[ip]
