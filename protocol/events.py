"""One small frozen dataclass per frame type of the contract.

Commands travel from a client to the server; events travel from the server to
clients. Both dialects (JSON and text) turn into, and come from, these classes.
"""

from dataclasses import dataclass
from typing import Optional, Union



class _NoId:
    """`ping` may carry an id or not, and `pong` must match, so absent is not null."""

    def __repr__(self) -> str:
        return "NO_ID"


NO_ID = _NoId()
PingId = Union[int, str, None, _NoId]


# ---- client -> server -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Login:
    nick: str
    password: Optional[str] = None
    resumable: bool = False        # extension: heartbeat promised, session wanted
    session: Optional[str] = None  # extension: resume this session ...
    seq: int = 0                   # ... from after this event
    cnonce: Optional[str] = None   # extension: an admin login by proof (protocol/auth.py) ...
    proof: Optional[str] = None    # ... instead of the password


@dataclass(frozen=True, slots=True)
class Say:
    """A chat message to send: `to` None means everyone."""
    text: str
    to: Optional[str] = None
    cid: Optional[str] = None      # extension: the client's id, for exactly-once resends


@dataclass(frozen=True, slots=True)
class AskChallenge:
    """Extension: ask for a nonce to log in as admin without sending the password."""


@dataclass(frozen=True, slots=True)
class AskUsers:
    pass


@dataclass(frozen=True, slots=True)
class AskWhoami:
    pass


@dataclass(frozen=True, slots=True)
class Logout:
    pass


@dataclass(frozen=True, slots=True)
class Ping:
    id: PingId = NO_ID


@dataclass(frozen=True, slots=True)
class Down:
    reason: Optional[str] = None


@dataclass(frozen=True, slots=True)
class Kick:
    nick: str
    reason: Optional[str] = None
    minutes: Optional[float] = None   # extension: ban length; None: the server's default


@dataclass(frozen=True, slots=True)
class AskBans:
    pass


@dataclass(frozen=True, slots=True)
class Unban:
    nick: str                      # a nick or an address


@dataclass(frozen=True, slots=True)
class Mute:
    nick: Optional[str] = None     # None: the whole class


@dataclass(frozen=True, slots=True)
class Unmute:
    nick: Optional[str] = None


@dataclass(frozen=True, slots=True)
class Slow:
    seconds: float


@dataclass(frozen=True, slots=True)
class Help:
    """`-help` of the text dialect; JSON clients have no such frame."""


Command = Union[Login, Say, AskChallenge, AskUsers, AskWhoami, Logout, Ping, Down, Kick, Help,
                AskBans, Unban, Mute, Unmute, Slow]


# ---- server -> client -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Message:
    """A delivered chat message; `to` is None for everyone."""
    id: int
    ts: int
    sender: str
    to: Optional[str]
    text: str
    seq: int = 0                   # extension: place in the room's order (0: unknown)
    cid: Optional[str] = None      # extension: the sender's client id
    admin: bool = False            # extension: the sender is an admin


@dataclass(frozen=True, slots=True)
class Welcome:
    nick: str
    users: tuple[str, ...]
    admin: bool
    history: tuple[Message, ...]
    server: str
    admins: tuple[str, ...] = ()   # extension: which of `users` are admins
    seq: int = 0                   # extension: the room's last seq at this welcome
    session: Optional[str] = None  # extension: for a resumable login
    heartbeat: float = 0
    grace: float = 0
    resumed: bool = False
    gap: bool = False
    muted: tuple[str, ...] = ()
    muted_all: bool = False
    slow: float = 0
    server_proof: Optional[str] = None   # extension: the server knows the password too


@dataclass(frozen=True, slots=True)
class Challenge:
    nonce: str


@dataclass(frozen=True, slots=True)
class Joined:
    nick: str
    ts: int
    admin: bool = False            # extension: the newcomer is an admin
    seq: int = 0


LEFT_REASONS = ("quit", "disconnected", "kicked", "dropped")


@dataclass(frozen=True, slots=True)
class Left:
    nick: str
    reason: str
    ts: int
    message: Optional[str] = None
    seq: int = 0
    by: Optional[str] = None       # extension: who kicked


@dataclass(frozen=True, slots=True)
class UserList:
    users: tuple[str, ...]
    admins: tuple[str, ...] = ()   # extension: which of `users` are admins


@dataclass(frozen=True, slots=True)
class Identity:
    """The answer to `whoami`."""
    nick: str
    admin: bool


@dataclass(frozen=True, slots=True)
class Pong:
    id: PingId = NO_ID


@dataclass(frozen=True, slots=True)
class Error:
    code: str
    message: str
    cid: Optional[str] = None      # extension: the refused msg's client id
    until: Optional[int] = None    # extension: banned / locked_out end, ms since the epoch


BYE_REASONS = ("logout", "kicked", "timeout", "dropped")


@dataclass(frozen=True, slots=True)
class Bye:
    reason: str
    message: Optional[str] = None
    minutes: Optional[float] = None   # extension: a kick's ban length
    by: Optional[str] = None          # extension: who kicked


@dataclass(frozen=True, slots=True)
class Shutdown:
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class Ban:
    nick: Optional[str]
    ip: Optional[str]
    until: int                     # ms since the epoch
    by: str
    reason: Optional[str] = None


@dataclass(frozen=True, slots=True)
class BanList:
    bans: tuple[Ban, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    """A sentence from the server: 'Mr.Smith muted the class.'"""
    text: str
    ts: int


@dataclass(frozen=True, slots=True)
class RoomState:
    """The teacher's order of the room, sent to everyone when it changes."""
    muted: tuple[str, ...] = ()
    muted_all: bool = False
    slow: float = 0


@dataclass(frozen=True, slots=True)
class HelpText:
    """The answer to `-help` in the text dialect."""
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unknown:
    """A server frame of a type this client does not know; clients ignore it."""
    type: str


Event = Union[Message, Welcome, Challenge, Joined, Left, UserList, Identity, Pong, Error,
              Bye, Shutdown, HelpText, BanList, Notice, RoomState, Unknown]
