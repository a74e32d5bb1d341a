"""The classroom chat wire protocol, version 1, written sans-IO.

Bytes go in, events come out, and events become bytes again; nothing here touches
a socket, a thread or a clock of its own. See docs/protocol.md.
"""

from protocol.errors import ProtocolError

PORT = 5050
MAX_FRAME_BYTES = 8192
MAX_MESSAGE_CHARS = 2000
MAX_NICK_CHARS = 24
SERVER_NAME = "classchat/1.0"

__all__ = ["ProtocolError", "PORT", "MAX_FRAME_BYTES", "MAX_MESSAGE_CHARS",
           "MAX_NICK_CHARS", "SERVER_NAME"]
