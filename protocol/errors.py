"""The contract's error codes and the one exception the protocol package raises."""

BAD_JSON = "bad_json"
BAD_FRAME = "bad_frame"
UNKNOWN_TYPE = "unknown_type"
LINE_TOO_LONG = "line_too_long"
BAD_ENCODING = "bad_encoding"
NOT_LOGGED_IN = "not_logged_in"
ALREADY_LOGGED_IN = "already_logged_in"
NICK_TAKEN = "nick_taken"
NICK_INVALID = "nick_invalid"
BAD_PASSWORD = "bad_password"
NO_SUCH_USER = "no_such_user"
EMPTY_MESSAGE = "empty_message"
MESSAGE_TOO_LONG = "message_too_long"
FORBIDDEN = "forbidden"
RATE_LIMITED = "rate_limited"
SERVER_FULL = "server_full"
BANNED = "banned"
LOCKED_OUT = "locked_out"
MUTED = "muted"

ERROR_CODES = frozenset({
    BAD_JSON, BAD_FRAME, UNKNOWN_TYPE, LINE_TOO_LONG, BAD_ENCODING,
    NOT_LOGGED_IN, ALREADY_LOGGED_IN, NICK_TAKEN, NICK_INVALID, BAD_PASSWORD,
    NO_SUCH_USER, EMPTY_MESSAGE, MESSAGE_TOO_LONG, FORBIDDEN, RATE_LIMITED,
    SERVER_FULL, BANNED, LOCKED_OUT, MUTED,
})


class ProtocolError(Exception):
    """The peer broke the protocol: a frame was refused. `code` is one of ERROR_CODES;
    `message` is for a person. (h11's RemoteProtocolError; ours is LocalProtocolError.)"""

    def __init__(self, code: str, message: str, until: int | None = None):
        assert code in ERROR_CODES, code
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.until = until      # banned, locked_out: when it ends, ms since the epoch


RemoteProtocolError = ProtocolError


class LocalProtocolError(Exception):
    """We tried to send something the protocol has no frame for: a bug of ours, never
    the peer's, so it is not answered with an error code."""
