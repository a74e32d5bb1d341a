"""The classroom chat wire protocol, version 1, written sans-IO.

Bytes go in, events come out, and events become bytes again; nothing here touches
a socket, a thread or a clock of its own. See docs/protocol.md.
"""

from protocol.errors import ProtocolError

PORT = 5050
MAX_FRAME_BYTES = 8192              # a frame a client sends, newline included
# A frame the server sends can be longer: a welcome holds every nick and the history.
# The largest at the limits is about 2.4 MB (docs/protocol.md); clients accept this.
MAX_SERVER_FRAME = 4 * 1024 * 1024
MAX_MESSAGE_CHARS = 2000
MAX_NICK_CHARS = 24
SERVER_NAME = "classchat/1.0"

__all__ = ["ProtocolError", "PORT", "MAX_FRAME_BYTES", "MAX_SERVER_FRAME", "MAX_MESSAGE_CHARS",
           "MAX_NICK_CHARS", "SERVER_NAME"]
