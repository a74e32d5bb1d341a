"""An event on its way out, encoded at most once per dialect and shared by recipients."""

from protocol import json_codec, text_codec

JSON = "json"
TEXT = "text"


class Outgoing:
    __slots__ = ("event", "_json", "_text")

    def __init__(self, event):
        self.event = event
        self._json = None
        self._text = None

    def encoded(self, dialect: str | None) -> bytes:
        """The bytes for a connection of `dialect`; JSON while the dialect is unknown."""
        if dialect == TEXT:
            if self._text is None:
                self._text = text_codec.encode_event(self.event)
            return self._text
        if self._json is None:
            self._json = json_codec.encode_event(self.event)
        return self._json
