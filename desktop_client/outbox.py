"""Messages sent but not yet confirmed: each keeps its `cid` until the server's echo.

After a resume or a fresh login every unconfirmed message goes again, in order, with
the same `cid`; the server delivers a `(sender, cid)` once, so a resend is harmless
(docs/protocol.md, "Exactly once"). No Tk, no sockets.
"""

import uuid
from dataclasses import dataclass, replace
from typing import Optional

from protocol.events import Say


def new_cid() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class Entry:
    say: Say
    on_link: bool = False      # handed to the current connection (else still waiting)


class Outbox:
    def __init__(self, make_cid=new_cid):
        self._entries: dict[str, Entry] = {}   # insertion order is sending order
        self._make_cid = make_cid

    def add(self, say: Say) -> Say:
        """Keep a new message; returns it with its cid."""
        say = replace(say, cid=say.cid or self._make_cid())
        self._entries[say.cid] = Entry(say)
        return say

    def mark_sent(self, cid: str) -> None:
        if cid in self._entries:
            self._entries[cid].on_link = True

    def confirm(self, cid: Optional[str]) -> bool:
        """The echo came: forget it. True if it was ours and waiting."""
        return cid is not None and self._entries.pop(cid, None) is not None

    def refuse(self, cid: Optional[str]) -> Optional[Say]:
        """The server refused it for good: forget it and give it back (for the input box)."""
        entry = self._entries.pop(cid, None) if cid is not None else None
        return entry.say if entry else None

    def later(self, cid: Optional[str]) -> Optional[Say]:
        """Refused for now (rate limited): keep it, to send again."""
        entry = self._entries.get(cid) if cid is not None else None
        if entry is None:
            return None
        entry.on_link = False
        return entry.say

    def link_lost(self) -> None:
        for entry in self._entries.values():
            entry.on_link = False

    def pending(self) -> list[Say]:
        """Every unconfirmed message, oldest first (what to send again after a login)."""
        return [entry.say for entry in self._entries.values()]

    def waiting(self) -> int:
        """How many are not on a live link yet."""
        return sum(1 for entry in self._entries.values() if not entry.on_link)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, cid) -> bool:
        return cid in self._entries
