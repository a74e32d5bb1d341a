"""Line framing: bytes in, complete lines out, with the frame limit.

The decoder never rescans bytes it has already searched and never holds more than
one frame limit of data, so reading stays linear and memory stays bounded whatever
a peer sends.
"""

from dataclasses import dataclass

from protocol import MAX_FRAME_BYTES, errors
from protocol.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class TooLong:
    """A line longer than the frame limit; `head` is its first bytes (for the dialect)."""
    head: bytes


class LineDecoder:
    """Feed bytes, get frames: each a `bytes` line without its newline, or `TooLong`.

    `\\r\\n` endings lose their `\\r`. Blank lines (only white space) are dropped
    here, as the contract ignores them.
    """

    def __init__(self, max_frame: int = MAX_FRAME_BYTES):
        self.max_frame = max_frame
        self._partial = bytearray()  # the start of a line whose newline has not come
        self._discarding = False     # inside an over-long line, waiting for its newline

    def feed(self, data: bytes) -> list:
        frames: list = []
        newline = data.find(b"\n")
        if newline < 0:
            if not self._discarding:
                self._keep_partial(data, frames)
            return frames
        if self._discarding:
            self._discarding = False
        else:
            self._partial += data[:newline]
            self._add_line(bytes(self._partial), frames)
        self._partial.clear()
        # Only whole lines remain before the last newline: split them in one pass.
        last = data.rfind(b"\n")
        if last > newline:
            longest = self.max_frame - 1          # the newline counts against the limit
            append = frames.append
            for line in data[newline + 1:last].split(b"\n"):
                # The common case inline (this is the server's hottest loop).
                if len(line) <= longest and line[:1] == b"{" and line[-1:] != b"\r":
                    append(line)
                else:
                    self._add_line(line, frames)
        self._keep_partial(data[last + 1:], frames)
        return frames

    def _add_line(self, line: bytes, frames: list) -> None:
        """A line without its newline, which still counts against the limit."""
        if len(line) >= self.max_frame:
            frames.append(TooLong(line[:self.max_frame]))
            return
        if line.endswith(b"\r"):
            line = line[:-1]
        if line and not line.isspace():
            frames.append(line)

    def _keep_partial(self, data: bytes, frames: list) -> None:
        partial = self._partial
        partial += data
        if len(partial) >= self.max_frame:
            # Even with its newline still to come, this line is over the limit.
            frames.append(TooLong(bytes(partial[:self.max_frame])))
            partial.clear()
            self._discarding = True

    def finish(self) -> list:
        """At end of stream: a last line without its newline is still a frame."""
        line = bytes(self._partial)
        self._partial.clear()
        if self._discarding:
            return []
        frames: list = []
        self._add_line(line, frames)
        return frames

    @property
    def buffered(self) -> int:
        return len(self._partial)


def decode_utf8(line: bytes) -> str:
    """A frame's bytes as text, or ProtocolError(bad_encoding)."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(errors.BAD_ENCODING,
                            "The frame is not valid UTF-8; it was dropped.") from None
