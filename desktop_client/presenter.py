"""What the chat window shows, decided without a window.

The presenter keeps the client's state (who I am, who is online, the chosen
recipient, the connection's fate) and turns each server event into `Line`s: text
segments with style tags the message pane knows how to draw. It also reads what the
student types, through the same flag parser as the server's text dialect. Nothing
here imports tkinter, so every decision is tested without a display.
"""

import time
import zlib
from dataclasses import dataclass, field
from typing import Optional

from protocol import nicks
from protocol.errors import ProtocolError
from protocol.events import (
    Bye, Down, Error, Help, HelpText, Identity, Joined, Kick,
    Left, Login, Logout, Message, Pong, Say, Shutdown, Unknown, UserList, Welcome,
)
from protocol.messages import clean_text
from protocol.text_codec import HELP_LINES, clock, parse_line
from desktop_client.textsafe import tk_safe

APP_NAME = "ClassChat"
EVERYONE = "Everyone"
NICK_COLOURS = 10    # the pane defines tags nick0 .. nick9

# Connection states.
OFFLINE = "offline"        # not connected yet
CONNECTING = "connecting"  # socket up, login sent, no welcome yet
ONLINE = "online"
LOST = "lost"              # the connection ended without a goodbye: try again
SHUTDOWN = "shutdown"      # an admin shut the server down
KICKED = "kicked"
LOGGED_OUT = "logged_out"

_LEFT_TEXT = {
    "quit": "{nick} left",
    "disconnected": "{nick} disconnected",
    "kicked": "{nick} was removed by an admin",
    "dropped": "{nick} was dropped (too slow to keep up)",
}


@dataclass(frozen=True)
class Line:
    """One entry of the message pane: (text, tags) segments plus a kind for the row."""
    kind: str   # public, private, notice, error, separator
    parts: tuple
    own: bool = False
    earlier: bool = False

    @property
    def text(self) -> str:
        return "".join(part for part, _ in self.parts)

    def line_tags(self) -> tuple:
        tags = [self.kind]
        if self.own:
            tags.append("own")
        if self.earlier:
            tags.append("earlier")
        return tuple(tags)


@dataclass(frozen=True)
class Banner:
    """The strip above the messages when something ended the conversation."""
    kind: str          # shutdown, lost, kicked, logged_out
    text: str
    auto_retry: bool   # try again by itself (with back-off)


@dataclass
class InputResult:
    """What to do with a typed line: a command to send, lines to show, or both."""
    command: object = None
    lines: list = field(default_factory=list)
    clear: bool = True      # empty the input box
    quit: bool = False      # -exit: log out and close the window


def nick_colour(nick: str) -> int:
    """A stable colour index per nick (same in every run and on every machine)."""
    return zlib.crc32(nicks.key(nick).encode("utf-8")) % NICK_COLOURS


def notice(text: str, earlier: bool = False) -> Line:
    return Line("notice", ((tk_safe(text), ("notice",)),), earlier=earlier)


def error_line(text: str) -> Line:
    return Line("error", ((tk_safe(text), ("error",)),))


def separator(text: str) -> Line:
    return Line("separator", ((tk_safe(text), ("separator",)),))


class Presenter:
    def __init__(self):
        self.me: Optional[str] = None
        self.admin = False
        self.users: list[str] = []
        self.admins: set[str] = set()  # nicks.key() of every admin online, me included
        self.users_version = 0        # bumps when the list changes, so the view redraws only then
        self.recipient: Optional[str] = None
        self.state = OFFLINE
        self.banner: Optional[Banner] = None
        self.server_name = ""
        self.focused = True
        self.unread = 0
        self.last_id = -1             # newest message id seen: a reconnect skips older history
        self.now_ms = lambda: int(time.time() * 1000)   # for events without a server ts
        self._handlers = {
            Message: self._message, Welcome: self._welcome, Joined: self._joined,
            Left: self._left, UserList: self._user_list, Identity: self._identity,
            Pong: lambda e: [], Error: self._error, Bye: self._bye,
            Shutdown: self._shutdown, HelpText: self._help_text, Unknown: lambda e: [],
        }

    # ---- state the view reads --------------------------------------------------

    @property
    def online(self) -> bool:
        return self.state == ONLINE

    def is_me(self, nick: Optional[str]) -> bool:
        return nick is not None and self.me is not None and nicks.key(nick) == nicks.key(self.me)

    def is_admin(self, nick: Optional[str]) -> bool:
        return nick is not None and nicks.key(nick) in self.admins

    def recipient_label(self, limit: int = 14) -> str:
        """`To: Everyone` / `To: bob`; a long nick is shortened so the input box keeps room."""
        if not self.recipient:
            return f"To: {EVERYONE}"
        nick = tk_safe(self.recipient, False)
        return f"To: {nick if len(nick) <= limit else nick[:limit - 1] + '…'}"

    def title(self) -> str:
        title = APP_NAME
        if self.me:
            title += f" — {self.me}"
        if self.state != ONLINE and self.me:
            title += " (offline)"
        if self.unread:
            title = f"({self.unread} private) {title}"
        return tk_safe(title, keep_newlines=False)

    def user_rows(self) -> list:
        """(nick or None for Everyone, label, tags) in display order, Everyone first.
        Admins (the teacher) say `(admin)` and carry the `admin` tag, which the list
        draws as a badge; your own row says `(you)` or `(you, admin)`."""
        rows = [(None, EVERYONE, ("everyone",))]
        for nick in self.users:
            label = tk_safe(nick, False)
            tags = [f"nick{nick_colour(nick)}"]
            me, admin = self.is_me(nick), self.is_admin(nick)
            if me or admin:
                label += " (" + ", ".join(word for word, on in
                                          (("you", me), ("admin", admin)) if on) + ")"
            if me:
                tags.append("me")
            if admin:
                tags.append("admin")
            rows.append((nick, label, tuple(tags)))
        return rows

    # ---- things the student does -------------------------------------------------

    def select_recipient(self, nick: Optional[str]) -> None:
        """Clicking a user picks them; clicking Everyone (None) goes back."""
        if nick is not None:
            known = [u for u in self.users if nicks.key(u) == nicks.key(nick)]
            nick = known[0] if known else None
        self.recipient = nick

    def set_focused(self, focused: bool) -> None:
        self.focused = focused
        if focused:
            self.unread = 0

    def read_input(self, raw: str) -> InputResult:
        """A line from the input box -> what to send and/or show."""
        line = raw.strip()
        if not line:
            return InputResult(clear=False)
        try:
            command = parse_line(line, logged_in=True)
        except ProtocolError as problem:
            return InputResult(lines=[error_line(problem.message)], clear=False)
        if isinstance(command, Say):
            return self._say(command, explicit=line.startswith("-"))
        if isinstance(command, Help):
            return InputResult(lines=[notice(text) for text in HELP_LINES]
                               + [notice("Click a name on the right to talk to that "
                                         "person only; click Everyone to go back.")])
        if isinstance(command, Login):
            return InputResult(lines=[error_line(
                f"You are already logged in as {self.me}. Use -exit to leave first.")],
                clear=False)
        if isinstance(command, Logout):
            return InputResult(command=command, quit=True)
        return InputResult(command=command)

    def _say(self, command: Say, explicit: bool) -> InputResult:
        try:
            text = clean_text(command.text)
        except ProtocolError as problem:
            return InputResult(lines=[error_line(problem.message)], clear=False)
        # A plain line goes to the chosen recipient; -all and -to say it themselves.
        to = command.to if explicit else self.recipient
        return InputResult(command=Say(text, to))

    def kick_command(self, nick: str, reason: str) -> Kick:
        return Kick(nick, reason.strip() or None)

    def down_command(self, reason: str) -> Down:
        return Down(reason.strip() or None)

    # ---- things the network does -------------------------------------------------

    def connecting(self) -> None:
        self.state = CONNECTING

    def apply(self, event) -> list:
        """A server event -> lines for the pane (state updated on the way)."""
        handler = self._handlers.get(type(event))
        return handler(event) if handler else []

    def connection_lost(self, detail: str = "") -> list:
        """The socket ended. After a goodbye that is expected; otherwise offer a retry."""
        if self.state in (SHUTDOWN, KICKED, LOGGED_OUT):
            return []
        was_online = self.state == ONLINE
        self.state = LOST
        self._offline()
        if not was_online:
            return []
        text = "The connection to the server was lost."
        self.banner = Banner(LOST, text, auto_retry=True)
        return [self._ended(text + (f" ({detail})" if detail else ""))]

    # ---- event handlers ------------------------------------------------------------

    def _message_line(self, event: Message, earlier: bool = False) -> Line:
        time_part = (clock(event.ts) + "  ", ("time",))
        text_part = (tk_safe(event.text), ("body",))
        sender = tk_safe(event.sender, False)
        sender_tags = ("nick", f"nick{nick_colour(event.sender)}")
        own = self.is_me(event.sender)
        if event.to is None:
            who = (sender + (" (you)" if own else ""), sender_tags + (("me",) if own else ()))
            return Line("public", (time_part, who, (": ", ("body",)), text_part),
                        own=own, earlier=earlier)
        to = tk_safe(event.to, False)
        if own:
            route = [("you", sender_tags + ("me",)), (" → ", ("arrow",)),
                     ("you" if self.is_me(event.to) else to,
                      ("nick", f"nick{nick_colour(event.to)}"))]
        else:
            route = [(sender, sender_tags), (" → ", ("arrow",)), ("you", ("nick", "me"))]
        return Line("private", (time_part, *route, ("  private", ("badge",)), (": ", ("body",)),
                                text_part), own=own, earlier=earlier)

    def _message(self, event: Message) -> list:
        self.last_id = max(self.last_id, event.id) if isinstance(event.id, int) else self.last_id
        if event.to is not None and not self.is_me(event.sender) and not self.focused:
            self.unread += 1
        return [self._message_line(event)]

    def _welcome(self, event: Welcome) -> list:
        returning = self.me is not None
        self.me, self.admin = event.nick, event.admin
        self.server_name = event.server
        self.state, self.banner = ONLINE, None
        self._set_users(event.users, _keys(event.admins))
        if self.recipient and not self._present(self.recipient):
            self.recipient = None
        history = [m for m in event.history if not isinstance(m.id, int) or m.id > self.last_id]
        lines = []
        if history:
            lines.append(separator("Earlier messages"))
            lines.extend(self._message_line(m, earlier=True) for m in history)
            lines.append(separator("Now"))
            self.last_id = max([self.last_id] + [m.id for m in history if isinstance(m.id, int)])
        others = len(event.users) - 1
        online = {0: "Nobody else is online yet.", 1: "1 other person is online."}.get(
            others, f"{others} other people are online.")
        if returning:
            lines.append(notice(f"Reconnected as {event.nick}. {online}"))
        else:
            lines.append(notice(f"Welcome, {event.nick}! {online}"))
            lines.append(notice("Press Enter to send. Click a name on the right to talk "
                                "privately; type -help for the typed commands."))
        if event.admin:
            lines.append(notice("You are an admin: you can remove users and shut the "
                                "server down (buttons under the user list)."))
        return lines

    def _joined(self, event: Joined) -> list:
        admins = {k for k in self.admins if k != nicks.key(event.nick)}
        if event.admin:
            admins.add(nicks.key(event.nick))
        users = self.users if self._present(event.nick) else sorted(
            self.users + [event.nick], key=nicks.key)
        self._set_users(users, admins)
        who = f"{event.nick} (admin)" if event.admin else event.nick
        return [notice(f"{clock(event.ts)}  {who} joined")]

    def _left(self, event: Left) -> list:
        self._set_users([u for u in self.users if nicks.key(u) != nicks.key(event.nick)],
                        self.admins - {nicks.key(event.nick)})
        text = _LEFT_TEXT.get(event.reason, "{nick} left ({reason})").format(
            nick=event.nick, reason=event.reason)
        if event.message:
            text += f": {event.message}"
        lines = [notice(f"{clock(event.ts)}  {text}")]
        if self.recipient and nicks.key(self.recipient) == nicks.key(event.nick):
            self.recipient = None
            lines.append(notice(f"{event.nick} is gone; your messages go to Everyone again."))
        return lines

    def _user_list(self, event: UserList) -> list:
        self._set_users(event.users, _keys(event.admins))
        names = [f"{u} (admin)" if self.is_admin(u) else u for u in self.users]
        return [notice(f"Online ({len(names)}): {', '.join(names)}")]

    def _identity(self, event: Identity) -> list:
        self.admin = event.admin
        self._set_users(self.users, self.admins)
        return [notice(f"You are {event.nick}" + (" (admin)." if event.admin else "."))]

    def _error(self, event: Error) -> list:
        return [error_line(event.message or event.code)]

    def _bye(self, event: Bye) -> list:
        why = f": {event.message}" if event.message else "."
        self._offline()
        if event.reason == "kicked":
            self.state = KICKED
            text = f"You were removed from the chat by an admin{why}"
            self.banner = Banner(KICKED, text, auto_retry=False)
        elif event.reason == "logout":
            self.state = LOGGED_OUT
            text = "You logged out."
            self.banner = Banner(LOGGED_OUT, text, auto_retry=False)
        else:
            self.state = LOST
            text = {"dropped": "The server dropped this connection: it fell too far behind.",
                    "timeout": "The server closed the connection: no login in time."}.get(
                event.reason, f"The server closed the connection ({event.reason}).")
            self.banner = Banner(LOST, text, auto_retry=True)
        return [self._ended(text)]

    def _shutdown(self, event: Shutdown) -> list:
        self.state = SHUTDOWN
        self._offline()
        by = "the server itself" if event.by == "server" else event.by
        text = f"The server was shut down by {by}"
        text += f": {event.reason}" if event.reason else "."
        self.banner = Banner(SHUTDOWN, text, auto_retry=False)
        # The strip is the status (loud, with Reconnect); the conversation only notes
        # where it ended, as quietly as a join or a leave.
        said = "The server was shut down" if event.by == "server" else \
            f"{event.by} shut the server down"
        return [self._ended(said + (f": {event.reason}" if event.reason else "."))]

    def _ended(self, text: str) -> Line:
        """The pane's note that the conversation ended here (the strip says it loudly)."""
        return notice(f"{clock(self.now_ms())}  {text}")

    def _help_text(self, event: HelpText) -> list:
        return [notice(text) for text in event.lines]

    def _offline(self) -> None:
        """Nobody is shown as online once we are not (the list then shows only
        Everyone, which the window also selects as the recipient)."""
        self.unread = 0 if self.focused else self.unread
        self._set_users([])

    def _present(self, nick: str) -> bool:
        return any(nicks.key(u) == nicks.key(nick) for u in self.users)

    def _set_users(self, users, admin_keys=frozenset()) -> None:
        """The list and who in it is an admin (by nicks.key; only nicks in the list
        count). You are an admin when the server said so, even a server that does not
        list admins."""
        self.users = list(users)
        online = _keys(self.users)
        self.admins = set(admin_keys) & online
        if self.admin and self.me is not None and nicks.key(self.me) in online:
            self.admins.add(nicks.key(self.me))
        elif self.me is not None and not self.admin:
            self.admins.discard(nicks.key(self.me))
        self.users_version += 1


def _keys(names) -> set:
    return {nicks.key(name) for name in names}


def login_error_text(event: Error) -> str:
    """What the connect dialog says when the server refuses the login."""
    return {
        "nick_taken": "That nickname is already taken. Please choose another one.",
        "bad_password": "Wrong admin password. Leave it empty to join as a student.",
        "server_full": "The server is full. Try again later.",
    }.get(event.code, event.message or event.code)


def local_nick_problem(nick: str) -> Optional[str]:
    """Check the nickname before connecting, with the server's own rule."""
    return nicks.problem(nicks.normalise(nick.strip()))
