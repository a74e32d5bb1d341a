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


@dataclass(frozen=True, slots=True)
class Say:
    """A chat message to send: `to` None means everyone."""
    text: str
    to: Optional[str] = None


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


@dataclass(frozen=True, slots=True)
class Help:
    """`-help` of the text dialect; JSON clients have no such frame."""


Command = Union[Login, Say, AskUsers, AskWhoami, Logout, Ping, Down, Kick, Help]


# ---- server -> client -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Message:
    """A delivered chat message; `to` is None for everyone."""
    id: int
    ts: int
    sender: str
    to: Optional[str]
    text: str


@dataclass(frozen=True, slots=True)
class Welcome:
    nick: str
    users: tuple[str, ...]
    admin: bool
    history: tuple[Message, ...]
    server: str
    admins: tuple[str, ...] = ()   # extension: which of `users` are admins


@dataclass(frozen=True, slots=True)
class Joined:
    nick: str
    ts: int
    admin: bool = False            # extension: the newcomer is an admin


LEFT_REASONS = ("quit", "disconnected", "kicked", "dropped")


@dataclass(frozen=True, slots=True)
class Left:
    nick: str
    reason: str
    ts: int
    message: Optional[str] = None


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


BYE_REASONS = ("logout", "kicked", "timeout", "dropped")


@dataclass(frozen=True, slots=True)
class Bye:
    reason: str
    message: Optional[str] = None


@dataclass(frozen=True, slots=True)
class Shutdown:
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class HelpText:
    """The answer to `-help` in the text dialect."""
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unknown:
    """A server frame of a type this client does not know; clients ignore it."""
    type: str


Event = Union[Message, Welcome, Joined, Left, UserList, Identity, Pong, Error,
              Bye, Shutdown, HelpText, Unknown]
