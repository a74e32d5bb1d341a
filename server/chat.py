"""The chat itself: users, routing, history and admin. No sockets here.

The loop hands each decoded command to `ChatRoom.handle` together with the client
that sent it. A client is anything with the attributes of `Client` below; the room
queues events on clients and marks them for closing, and the loop does the I/O.
"""

import bisect
import hmac
import logging
import time
from collections import deque
from typing import Protocol

from protocol import SERVER_NAME, errors, nicks
from protocol.errors import ProtocolError
from protocol.events import (
    AskUsers, AskWhoami, Bye, Down, Error, Help, HelpText, Identity, Joined, Kick,
    Left, Login, Logout, Message, Ping, Pong, Say, Shutdown, UserList, Welcome,
)
from protocol.messages import clean_text
from protocol.text_codec import HELP_LINES
from server.outgoing import Outgoing
from server.settings import Settings

log = logging.getLogger(__name__)


class Client(Protocol):
    nick: str | None      # set by the room at login
    admin: bool
    ip: str               # for the admin lock-out, which is per address
    tag: str              # "ip:port/nick" for the log

    def send(self, outgoing: Outgoing) -> None: ...
    def close_after_output(self) -> None: ...
    def may_send_message(self) -> bool: ...  # the rate limit


class AdminGuard:
    """Counts wrong admin passwords per address and locks an address out for a while."""

    def __init__(self, failures: int, window: float):
        self.failures = failures
        self.window = window
        self._recent: dict[str, deque] = {}
        self._locked_until: dict[str, float] = {}

    def locked(self, ip: str, now: float) -> bool:
        until = self._locked_until.get(ip)
        if until is None:
            return False
        if now < until:
            return True
        del self._locked_until[ip]
        return False

    def failed(self, ip: str, now: float) -> bool:
        """Record a wrong password; True when this one locks the address out."""
        recent = self._recent.setdefault(ip, deque())
        recent.append(now)
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) < self.failures:
            return False
        del self._recent[ip]
        self._locked_until[ip] = now + self.window
        return True


def _clean_reason(reason: str | None) -> str:
    try:
        return clean_text(reason or "")
    except ProtocolError:
        return ""


def send_to_each(outgoing: Outgoing, clients) -> None:
    for client in clients:
        client.send(outgoing)


class ChatRoom:
    """`send_to_all(outgoing, clients)` may be given a faster way to fan an event out."""

    def __init__(self, settings: Settings, clock=time.time, monotonic=time.monotonic,
                 send_to_all=send_to_each):
        self.settings = settings
        self._send_to_all = send_to_all
        self._clock = clock
        self._monotonic = monotonic
        self._users: dict[str, Client] = {}          # nick key -> client
        self._sorted: list[tuple[str, str]] = []     # (sort key, nick), for user lists
        self._nicks: list[str] = []                  # the same nicks, in the same order
        self._sorted_admins: list[tuple[str, str]] = []
        self._history: deque[Message] = deque(maxlen=settings.history)
        self._next_id = 1
        self._guard = AdminGuard(settings.admin_failures, settings.admin_window)
        self.shutdown_request: Shutdown | None = None
        self._handlers = {
            Login: self._login, Say: self._say, AskUsers: self._users_list,
            AskWhoami: self._whoami, Logout: self._logout, Ping: self._ping,
            Down: self._down, Kick: self._kick, Help: self._help,
        }

    # ---- what the loop calls -------------------------------------------------

    def handle(self, client: Client, command) -> None:
        handler = self._handlers[type(command)]
        if client.nick is None and not isinstance(command, (Login, Ping, Help)):
            self._refuse(client, errors.NOT_LOGGED_IN, "Log in first: send your nickname.")
            return
        try:
            handler(client, command)
        except ProtocolError as refusal:
            self._refuse(client, refusal.code, refusal.message)

    def connection_lost(self, client: Client, reason: str = "disconnected") -> None:
        """The connection ended without a logout (or was dropped): tell the others."""
        if client.nick is not None and self._users.get(nicks.key(client.nick)) is client:
            self._remove(client, reason)

    @property
    def users(self) -> list[str]:
        return list(self._nicks)

    @property
    def admins(self) -> list[str]:
        return [nick for _, nick in self._sorted_admins]

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # ---- commands ------------------------------------------------------------

    def _login(self, client: Client, command: Login) -> None:
        if client.nick is not None:
            raise ProtocolError(errors.ALREADY_LOGGED_IN,
                                f"You are already logged in as {client.nick}.")
        nick = nicks.validate(command.nick)
        admin = bool(command.password)
        if admin and not self._password_accepted(client, command.password):
            return
        key = nicks.key(nick)
        if key in self._users:
            raise ProtocolError(errors.NICK_TAKEN,
                                f"The nickname {nick} is taken; choose another.")
        self._add(client, nick, key, admin)

    def _password_accepted(self, client: Client, password: str) -> bool:
        """True for the admin password; refuses (and may close) otherwise."""
        now = self._monotonic()
        if not self._guard.locked(client.ip, now):
            expected = self.settings.admin_password.encode("utf-8")
            if hmac.compare_digest(password.encode("utf-8"), expected):
                return True
            if not self._guard.failed(client.ip, now):
                log.warning("%s refused admin login: wrong password", client.tag)
                raise ProtocolError(errors.BAD_PASSWORD, "Wrong admin password.")
        log.warning("%s refused admin login: too many wrong passwords from this "
                    "address; locked for %.0f s", client.tag, self.settings.admin_window)
        self._refuse(client, errors.BAD_PASSWORD,
                     "Too many wrong admin passwords; try again in a minute.")
        client.close_after_output()
        return False

    def _add(self, client: Client, nick: str, key: str, admin: bool) -> None:
        joined = Outgoing(Joined(nick, self.now_ms(), admin))
        self._send_to_all(joined, self._users.values())
        client.nick = nick
        client.admin = admin
        self._users[key] = client
        position = bisect.bisect_left(self._sorted, (key, nick))
        self._sorted.insert(position, (key, nick))
        self._nicks.insert(position, nick)
        if admin:
            bisect.insort(self._sorted_admins, (key, nick))
        client.send(Outgoing(Welcome(nick, tuple(self._nicks), admin, tuple(self._history),
                                     SERVER_NAME, tuple(self.admins))))
        log.info("%s logged in%s", client.tag, " as admin" if admin else "")

    def _remove(self, client: Client, reason: str, message: str | None = None) -> None:
        key = nicks.key(client.nick)
        del self._users[key]
        position = bisect.bisect_left(self._sorted, (key, client.nick))
        del self._sorted[position]
        del self._nicks[position]
        if client.admin:
            self._sorted_admins.remove((key, client.nick))
        left = Outgoing(Left(client.nick, reason, self.now_ms(), message))
        self._send_to_all(left, self._users.values())
        log.info("%s left (%s)", client.tag, reason)

    def _say(self, client: Client, command: Say) -> None:
        if not client.may_send_message():
            raise ProtocolError(errors.RATE_LIMITED,
                                "Slow down: too many messages; this one was not sent.")
        text = clean_text(command.text, self.settings.max_message_chars)
        if command.to is None:
            message = self._message(client.nick, None, text)
            self._history.append(message)
            outgoing = Outgoing(message)
            self._send_to_all(outgoing, self._users.values())
            return
        recipient = self._users.get(nicks.key(command.to))
        if recipient is None:
            raise ProtocolError(errors.NO_SUCH_USER, f"Nobody called {command.to} is online.")
        outgoing = Outgoing(self._message(client.nick, recipient.nick, text))
        recipient.send(outgoing)
        if recipient is not client:
            client.send(outgoing)

    def _message(self, sender: str, to: str | None, text: str) -> Message:
        message = Message(self._next_id, self.now_ms(), sender, to, text)
        self._next_id += 1
        return message

    def _users_list(self, client: Client, command: AskUsers) -> None:
        client.send(Outgoing(UserList(tuple(self._nicks), tuple(self.admins))))

    def _whoami(self, client: Client, command: AskWhoami) -> None:
        client.send(Outgoing(Identity(client.nick, client.admin)))

    def _logout(self, client: Client, command: Logout) -> None:
        self._remove(client, "quit")
        client.send(Outgoing(Bye("logout")))
        client.close_after_output()

    def _ping(self, client: Client, command: Ping) -> None:
        client.send(Outgoing(Pong(command.id)))

    def _help(self, client: Client, command: Help) -> None:
        client.send(Outgoing(HelpText(HELP_LINES)))

    def _down(self, client: Client, command: Down) -> None:
        self._require_admin(client, "down server")
        reason = _clean_reason(command.reason)
        log.warning("%s shuts the server down: %r", client.tag, reason)
        self.shutdown_request = Shutdown(client.nick, reason)

    def _kick(self, client: Client, command: Kick) -> None:
        self._require_admin(client, "kick")
        target = self._users.get(nicks.key(command.nick))
        if target is None:
            raise ProtocolError(errors.NO_SUCH_USER, f"Nobody called {command.nick} is online.")
        reason = _clean_reason(command.reason) or None
        log.info("%s kicks %s: %r", client.tag, target.tag, reason or "")
        self._remove(target, "kicked", reason)
        target.send(Outgoing(Bye("kicked", reason)))
        target.close_after_output()

    def _require_admin(self, client: Client, what: str) -> None:
        if not client.admin:
            raise ProtocolError(errors.FORBIDDEN, f"Only an admin may use {what}.")

    def _refuse(self, client: Client, code: str, message: str) -> None:
        client.send(Outgoing(Error(code, message)))

