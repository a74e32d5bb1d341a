"""An event on its way out, encoded at most once per dialect and shared by recipients."""

from protocol import json_codec, text_codec

JSON = "json"
TEXT = "text"


class Outgoing:
    # JSON is encoded at once (nearly every recipient speaks it); text only on demand.
    __slots__ = ("event", "json", "_text")

    def __init__(self, event):
        self.event = event
        self.json = json_codec.encode_event(event)
        self._text = None

    def encoded(self, dialect: str | None) -> bytes:
        """The bytes for a connection of `dialect`; JSON while the dialect is unknown."""
        if dialect != TEXT:
            return self.json
        if self._text is None:
            self._text = text_codec.encode_event(self.event)
        return self._text


class Batch:
    """Several events sent as one: each recipient's buffer gets one reference, not one
    per event (2,000 users leaving at once would otherwise be 4,000,000 appends)."""

    __slots__ = ("parts", "json", "_text")

    def __init__(self, parts: list[Outgoing]):
        self.parts = parts
        self.json = b"".join(part.json for part in parts)
        self._text = None

    def encoded(self, dialect: str | None) -> bytes:
        if dialect != TEXT:
            return self.json
        if self._text is None:
            self._text = b"".join(part.encoded(TEXT) for part in self.parts)
        return self._text
