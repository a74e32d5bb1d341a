"""An event on its way out, encoded at most once per dialect and shared by recipients."""

from protocol import json_codec


class Outgoing:
    # JSON is encoded at once (nearly every recipient speaks it); the other dialects'
    # bytes only on demand, once each (`dialect.encode`).
    __slots__ = ("event", "json", "_other")

    def __init__(self, event):
        self.event = event
        self.json = json_codec.encode_event(event)
        self._other = None

    def encoded(self, dialect) -> bytes:
        """The bytes for a connection speaking `dialect` (a dialect class)."""
        other = self._other
        if other is None:
            other = self._other = {}
        data = other.get(dialect)
        if data is None:
            data = other[dialect] = self._make(dialect)
        return data

    def _make(self, dialect) -> bytes:
        return dialect.encode(self)


class Batch(Outgoing):
    """Several events sent as one: each recipient's buffer gets one reference, not one
    per event (2,000 users leaving at once would otherwise be 4,000,000 appends)."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Outgoing]):
        self.parts = parts
        self.event = None
        self.json = b"".join(part.json for part in parts)
        self._other = None

    def _make(self, dialect) -> bytes:
        return b"".join(part.encoded(dialect) for part in self.parts)
