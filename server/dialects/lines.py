"""The two line dialects of the baseline contract: JSON lines (programs) and text (people)."""

from protocol import errors
from protocol.errors import ProtocolError
from protocol.events import Error
from protocol.framing import LineDecoder, TooLong, decode_utf8
from protocol.json_codec import decode_command, encode_event as json_event
from protocol.text_codec import encode_event as text_event, parse_line
from server.outgoing import Outgoing

_LINE_TOO_LONG = Outgoing(Error(errors.LINE_TOO_LONG,
                                "The line is longer than the frame limit; it was dropped."))


class JsonLines:
    """One JSON object a line, both ways. The hot path of the whole server."""

    name = "json"
    line_based = True        # a cut frame can be finished at its newline (see loop._drop)

    @staticmethod
    def claims(first: bytes):
        return first[:1] == b"{"

    def __init__(self, conn, settings, web=None):
        self.conn = conn
        self.decoder = LineDecoder(settings.max_frame)

    def feed(self, data: bytes) -> list:
        return self.decoder.feed(data)

    def finish(self) -> list:
        return self.decoder.finish()

    def handle(self, frame, room) -> None:
        conn = self.conn
        if type(frame) is TooLong:
            conn.send(_LINE_TOO_LONG)
            return
        try:
            command = self.decode(frame)
        except ProtocolError as refusal:
            conn.send(Outgoing(Error(refusal.code, refusal.message)))
            return
        room.handle(conn, command)

    def decode(self, frame: bytes):
        return decode_command(frame)

    @staticmethod
    def encode(outgoing) -> bytes:
        return json_event(outgoing.event)


class TextLines(JsonLines):
    """Flag commands in, one line for a person out (nc, telnet)."""

    name = "text"

    @staticmethod
    def claims(first: bytes):
        return True

    def decode(self, frame: bytes):
        conn = self.conn
        return parse_line(decode_utf8(frame), logged_in=conn.nick is not None,
                          admin=conn.admin)

    @staticmethod
    def encode(outgoing) -> bytes:
        return text_event(outgoing.event)
