"""Which protocol a connection speaks, chosen from its first bytes.

Each dialect is one class: it frames the bytes a connection sends (`feed`), acts on one
frame (`handle`: a command for the room, or an answer of its own), and says how an event
reaches its peers (`encode`, cached per dialect by `Outgoing`). `detect` tries them in
order; a new dialect is a new class and a line in `DIALECTS`.
"""

from server.dialects.irc import Irc
from server.dialects.lines import JsonLines, TextLines
from server.dialects.web import Http, WebSocket

# Tried in this order; the last one takes anything.
DIALECTS = (JsonLines, Http, Irc, TextLines)
UNDECIDED = None
_MAX_WAIT = 16          # bytes read before a dialect must be chosen


def detect(head: bytes):
    """The dialect class for a connection whose first bytes are `head`; UNDECIDED while
    they could still be the start of more than one (e.g. "GE" of "GET /")."""
    first = head.lstrip()
    if not first:
        return UNDECIDED
    for dialect in DIALECTS:
        verdict = dialect.claims(first)
        if verdict:
            return dialect
        if verdict is UNDECIDED and len(first) < _MAX_WAIT:
            return UNDECIDED
    return DIALECTS[-1]


__all__ = ["detect", "UNDECIDED", "JsonLines", "TextLines", "Http", "WebSocket", "Irc"]
