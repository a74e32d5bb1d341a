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
            data = other[dialect] = dialect.encode(self)
        return data


class Batch:
    """Several events sent as one: each recipient's buffer gets one reference, not one
    per event (2,000 users leaving at once would otherwise be 4,000,000 appends)."""

    __slots__ = ("parts", "json", "_other")

    def __init__(self, parts: list[Outgoing]):
        self.parts = parts
        self.json = b"".join(part.json for part in parts)
        self._other = None

    def encoded(self, dialect) -> bytes:
        other = self._other
        if other is None:
            other = self._other = {}
        data = other.get(dialect)
        if data is None:
            data = other[dialect] = b"".join(part.encoded(dialect) for part in self.parts)
        return data
