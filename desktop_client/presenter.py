"""What the chat window shows and does, decided without a window or a socket.

The presenter keeps the client's state (who I am, who is online, the chosen
recipient, the life cycle, the outbox of unconfirmed messages, the heartbeat, the
teacher's order of the room) and turns each server event into `Line`s: text segments
with style tags the message pane knows how to draw. What the window must *do* (send a
frame, close the link, try again in 4 s, ask for the password, put a refused message
back in the input box) comes out as `effects`, which the app carries out. Nothing here
imports tkinter or touches a socket, so every decision is tested without either.
"""

import time
import zlib
from dataclasses import dataclass, field
from typing import Optional

from protocol import nicks
from protocol.errors import ProtocolError
from protocol.events import (
    AskBans, BanList, Bye, Down, Error, Help, HelpText, Identity, Joined, Kick, Left,
    Login, Logout, Message, Mute, Notice, Ping, Pong, RoomState, Say, Shutdown, Slow,
    Unban, Unknown, Unmute, UserList, Welcome,
)
from protocol.messages import clean_text
from protocol.text_codec import HELP_LINES, clock, parse_line
from desktop_client.lifecycle import (
    QUEUEING, RETRYING, Backoff, Heartbeat, LifeCycle, Phase,
)
from desktop_client.outbox import Outbox
from desktop_client.textsafe import tk_safe

APP_NAME = "ClassChat"
EVERYONE = "Everyone"
NICK_COLOURS = 10    # the pane defines tags nick0 .. nick9
ADMIN_MARK = "★ "    # before an admin's name on every line they write
RATE_LIMIT_RETRY = 1.0   # seconds before a rate-limited message is sent again
DEFAULT_KICK_MINUTES = 10

# The life cycle's phases under their old names (the views compare against these).
OFFLINE, CONNECTING, ONLINE = Phase.OFFLINE, Phase.CONNECTING, Phase.ONLINE
RECONNECTING, SHUTDOWN, KICKED = Phase.RECONNECTING, Phase.SHUT_DOWN, Phase.KICKED
REFUSED, LOGGED_OUT = Phase.REFUSED, Phase.LOGGED_OUT

LOST_TEXT = "Connection lost — reconnecting…"
STOPPED_TEXT = "The server stopped; reconnecting when it is back…"
GAP_TEXT = "Some messages from while you were away could not be recovered."
PASSWORD_CODES = ("bad_password", "locked_out")

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
    """The strip above the messages when the conversation is interrupted or over."""
    kind: str          # lost, shutdown, kicked, refused, logged_out
    text: str
    auto_retry: bool   # tries again by itself (with back-off)
    can_reconnect: bool = True   # offers a Reconnect button


# ---- effects: what the app must do ------------------------------------------------------

@dataclass(frozen=True)
class Send:
    command: object


@dataclass(frozen=True)
class SendLater:
    cid: str
    seconds: float


@dataclass(frozen=True)
class Restore:
    """Put a refused message back in the input box (if the box is empty)."""
    text: str


@dataclass(frozen=True)
class Retry:
    """Open a new connection after `seconds` (the app counts down in the strip)."""
    seconds: float


@dataclass(frozen=True)
class CloseLink:
    """Close the current socket now (dead, or refused)."""


@dataclass(frozen=True)
class AskPassword:
    """Stop and ask: try the admin password again, join as a student, or quit."""
    text: str


@dataclass(frozen=True)
class DialogError:
    """The first login failed: back to the connect dialog with this sentence."""
    text: str


@dataclass(frozen=True)
class ShowBans:
    bans: tuple


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


def minutes_left(until_ms: Optional[int], now_ms: int) -> Optional[int]:
    if not isinstance(until_ms, int) or isinstance(until_ms, bool):
        return None
    return max(1, -(-(until_ms - now_ms) // 60000))


class Presenter:
    def __init__(self, clock=time.monotonic, backoff: Optional[Backoff] = None):
        self.me: Optional[str] = None
        self.admin = False
        self.users: list[str] = []
        self.admins: set[str] = set()  # nicks.key() of every admin online, me included
        self.users_version = 0        # bumps when the list changes, so the view redraws only then
        self.recipient: Optional[str] = None
        self.life = LifeCycle()
        self.banner: Optional[Banner] = None
        self.server_name = ""
        self.focused = True
        self.unread = 0
        self.now_ms = lambda: int(time.time() * 1000)   # for events without a server ts
        self.clock = clock                              # monotonic, for the heartbeat
        # Logging in and coming back.
        self.login_nick: Optional[str] = None
        self.password: Optional[str] = None
        self.password_refused = False  # never send it again by ourselves
        self.session: Optional[str] = None
        self.last_seq = 0             # the largest room seq seen: a resume starts after it
        self.heartbeat_interval = 0.0
        self.heartbeat: Optional[Heartbeat] = None
        self.backoff = backoff or Backoff()
        self.awaiting_welcome = False
        # Exactly once.
        self.outbox = Outbox()
        self.shown_ids: set[int] = set()   # message ids already in the pane
        self._effects: list = []
        # The teacher's order.
        self.muted: set[str] = set()       # nicks.key() of muted students
        self.muted_all = False
        self.slow = 0.0
        self.bans: tuple = ()
        self._handlers = {
            Message: self._message, Welcome: self._welcome, Joined: self._joined,
            Left: self._left, UserList: self._user_list, Identity: self._identity,
            Pong: lambda e: [], Error: self._error, Bye: self._bye,
            Shutdown: self._shutdown, HelpText: self._help_text, Unknown: lambda e: [],
            Notice: self._notice, RoomState: self._room, BanList: self._ban_list,
        }

    # ---- state the view reads --------------------------------------------------

    @property
    def state(self) -> Phase:
        return self.life.phase

    @property
    def online(self) -> bool:
        return self.state == ONLINE

    @property
    def can_type(self) -> bool:
        """The input box takes messages (online, or queued while reconnecting)."""
        return self.state in QUEUEING and not self.am_muted

    @property
    def am_muted(self) -> bool:
        if self.admin or self.me is None:
            return False
        return self.muted_all or nicks.key(self.me) in self.muted

    def is_me(self, nick: Optional[str]) -> bool:
        return nick is not None and self.me is not None and nicks.key(nick) == nicks.key(self.me)

    def is_admin(self, nick: Optional[str]) -> bool:
        return nick is not None and nicks.key(nick) in self.admins

    def is_muted(self, nick: Optional[str]) -> bool:
        return nick is not None and nicks.key(nick) in self.muted

    def effects(self) -> list:
        """What the app must do now (taken once)."""
        effects, self._effects = self._effects, []
        return effects

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

    def room_line(self) -> str:
        """The teacher's order in one line for the status strip ('' when none)."""
        parts = []
        if self.muted_all:
            parts.append("The class is muted: only admins can write"
                         if self.admin else "Only the teacher can write now")
        if self.slow:
            every = f"{self.slow:g}"
            parts.append(f"Slow mode: one message every {every} s"
                         + (" for students" if self.admin else ""))
        if self.admin and self.muted:
            names = [u for u in self.users if nicks.key(u) in self.muted]
            if names:
                parts.append("Muted: " + ", ".join(names))
        return " · ".join(parts)

    def input_hint(self) -> str:
        """What the input box says instead of taking text ('' when it takes text)."""
        if self.am_muted:
            return ("Only the teacher can write now." if self.muted_all
                    else "You are muted: you can read, but not write.")
        return ""

    def waiting_note(self) -> str:
        count = self.outbox.waiting()
        if not count:
            return ""
        return "1 message waiting to send" if count == 1 else f"{count} messages waiting to send"

    def user_rows(self) -> list:
        """(nick or None for Everyone, label, tags) in display order, Everyone first.
        Admins (the teacher) say `(admin)` and carry the `admin` tag, which the list
        draws as a badge; your own row says `(you)` or `(you, admin)`; muted students
        say `(muted)`."""
        rows = [(None, EVERYONE, ("everyone",))]
        for nick in self.users:
            label = tk_safe(nick, False)
            tags = [f"nick{nick_colour(nick)}"]
            me, admin, muted = self.is_me(nick), self.is_admin(nick), self.is_muted(nick)
            words = [word for word, on in (("you", me), ("admin", admin), ("muted", muted))
                     if on]
            if words:
                label += " (" + ", ".join(words) + ")"
            if me:
                tags.append("me")
            if admin:
                tags.append("admin")
            if muted:
                tags.append("muted")
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
            command = parse_line(line, logged_in=True, admin=self.admin)
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
        if not self.online:
            return InputResult(lines=[error_line(
                "Not connected right now: try that again when the connection is back.")],
                clear=False)
        return InputResult(command=command)

    def _say(self, command: Say, explicit: bool) -> InputResult:
        try:
            text = clean_text(command.text)
        except ProtocolError as problem:
            return InputResult(lines=[error_line(problem.message)], clear=False)
        if self.state not in QUEUEING:
            return InputResult(lines=[error_line("Not connected.")], clear=False)
        # A plain line goes to the chosen recipient; -all and -to say it themselves.
        to = command.to if explicit else self.recipient
        say = self.outbox.add(Say(text, to))
        if not self.online:
            return InputResult()      # kept in the outbox; sent when the link is back
        self.outbox.mark_sent(say.cid)
        return InputResult(command=say)

    def resend(self, cid: str) -> list:
        """A rate-limited message's second go (after SendLater)."""
        if not self.online or cid not in self.outbox:
            return []
        say = next(s for s in self.outbox.pending() if s.cid == cid)
        self.outbox.mark_sent(cid)
        return [Send(say)]

    def kick_command(self, nick: str, reason: str, minutes=None) -> Kick:
        return Kick(nick, reason.strip() or None, minutes)

    def down_command(self, reason: str) -> Down:
        return Down(reason.strip() or None)

    def mute_command(self, nick: Optional[str], on: bool):
        return Mute(nick) if on else Unmute(nick)

    def class_mute_command(self):
        """The 'Mute the class' / 'Unmute the class' toggle."""
        return Unmute(None) if self.muted_all else Mute(None)

    def slow_command(self, seconds: float) -> Slow:
        return Slow(max(0.0, seconds))

    def bans_command(self) -> AskBans:
        return AskBans()

    def unban_command(self, ban) -> Unban:
        return Unban(ban.nick or ban.ip)

    # ---- logging in and coming back ----------------------------------------------

    def connecting(self, nick: Optional[str] = None, password: Optional[str] = None) -> Login:
        """The first login (from the dialog or the command line)."""
        if nick is not None:
            self.login_nick, self.password = nick, password
        self.password_refused = False
        self.life.move(CONNECTING)
        return self._attempt()

    def attempt(self) -> Login:
        """One more try to get back (after a Retry, or the Reconnect button)."""
        if self.state == REFUSED:
            self.life.move(RECONNECTING)
        return self._attempt()

    def retry_with(self, password: Optional[str]) -> Login:
        """The password dialog: 'Try again' (a password) or 'Join as a student' (None)."""
        self.password, self.password_refused = password, False
        return self.attempt()

    def _attempt(self) -> Login:
        self.awaiting_welcome = True
        self.heartbeat = Heartbeat(self.clock())
        nick = self.me or self.login_nick or ""
        password = None if self.password_refused else self.password
        return Login(nick, password, resumable=True, session=self.session,
                     seq=self.last_seq if self.session else 0)

    def heard(self) -> None:
        """Any frame arrived on the current link."""
        if self.heartbeat is not None:
            self.heartbeat.heard(self.clock())

    def tick(self) -> list:
        """Called a few times a second: ping when due; a silent link is dead."""
        if self.heartbeat is None or self.state in (KICKED, LOGGED_OUT, REFUSED, OFFLINE):
            return []
        verdict = self.heartbeat.tick(self.clock())
        if verdict == "ping":
            self._effects.append(Send(Ping()))
        elif verdict == "dead":
            self._effects.append(CloseLink())
            return self.link_ended("no answer from the server")
        return []

    def link_ended(self, detail: str = "") -> list:
        """The socket ended (or we gave up on it). Work out what comes next."""
        self.heartbeat = None
        self.awaiting_welcome = False
        self.outbox.link_lost()
        state = self.state
        if state == CONNECTING:
            self.life.move(OFFLINE)
            self._effects.append(DialogError(
                detail or "The server closed the connection before the login finished."))
            return []
        if state == ONLINE:
            self.life.move(RECONNECTING)
            self._offline()
            self.banner = Banner("lost", LOST_TEXT, auto_retry=True)
        if self.state in RETRYING:
            self._effects.append(Retry(self.backoff.next_delay()))
        return []

    def apply(self, event) -> list:
        """A server event -> lines for the pane (state updated on the way)."""
        if self.awaiting_welcome and isinstance(event, Error):
            return self._login_refused(event)
        handler = self._handlers.get(type(event))
        return handler(event) if handler else []

    def _login_refused(self, event: Error) -> list:
        self.awaiting_welcome = False
        self.heartbeat = None
        self._effects.append(CloseLink())
        if self.state == CONNECTING:
            self.life.move(OFFLINE)
            self._effects.append(DialogError(login_error_text(event, self.now_ms())))
            return []
        if event.code == "server_full":
            self._effects.append(Retry(self.backoff.next_delay()))
            return []
        text = login_error_text(event, self.now_ms())
        self.life.move(REFUSED)
        if event.code in PASSWORD_CODES:
            self.password_refused = True
            self.banner = Banner("refused", f"The admin password was refused. {text}",
                                 auto_retry=False)
            self._effects.append(AskPassword(text))
        else:
            self.banner = Banner("refused", f"Could not log in again: {text}",
                                 auto_retry=False)
        return []

    # ---- event handlers ------------------------------------------------------------

    def _message_line(self, event: Message, earlier: bool = False) -> Line:
        time_part = (clock(event.ts) + "  ", ("time",))
        text_part = (tk_safe(event.text), ("body",))
        mark = ADMIN_MARK if event.admin or self.is_admin(event.sender) else ""
        sender = mark + tk_safe(event.sender, False)
        sender_tags = ("nick", f"nick{nick_colour(event.sender)}")
        own = self.is_me(event.sender)
        if event.to is None:
            who = (sender + (" (you)" if own else ""), sender_tags + (("me",) if own else ()))
            return Line("public", (time_part, who, (": ", ("body",)), text_part),
                        own=own, earlier=earlier)
        to = tk_safe(event.to, False)
        if own:
            route = [(mark + "you", sender_tags + ("me",)), (" → ", ("arrow",)),
                     ("you" if self.is_me(event.to) else to,
                      ("nick", f"nick{nick_colour(event.to)}"))]
        else:
            route = [(sender, sender_tags), (" → ", ("arrow",)), ("you", ("nick", "me"))]
        return Line("private", (time_part, *route, ("  private", ("badge",)), (": ", ("body",)),
                                text_part), own=own, earlier=earlier)

    def _seen(self, seq) -> None:
        if isinstance(seq, int) and seq > self.last_seq:
            self.last_seq = seq

    def _message(self, event: Message) -> list:
        self._seen(event.seq)
        if self.is_me(event.sender):
            self.outbox.confirm(event.cid)
        if event.id in self.shown_ids:
            return []          # a replay or a re-echo of what the pane already shows
        self.shown_ids.add(event.id)
        if event.to is not None and not self.is_me(event.sender) and not self.focused:
            self.unread += 1
        return [self._message_line(event)]

    def _welcome(self, event: Welcome) -> list:
        returning = self.me is not None
        resumed = event.resumed and returning
        self.awaiting_welcome = False
        self.me, self.admin = event.nick, event.admin
        self.server_name = event.server
        if self.state != ONLINE:
            self.life.move(ONLINE)
        self.banner = None
        self.backoff.reset()
        self.session = event.session or (self.session if resumed else None)
        self.heartbeat_interval = event.heartbeat
        self.heartbeat = Heartbeat.online(self.clock(), event.heartbeat)
        self._set_users(event.users, _keys(event.admins))
        self.muted, self.muted_all, self.slow = _keys(event.muted), event.muted_all, event.slow
        if self.recipient and not self._present(self.recipient):
            self.recipient = None
        lines = []
        if not resumed:
            # A fresh start (first login, or the server restarted): its order begins here.
            self.last_seq = event.seq
            lines = self._history(event.history)
            others = len(event.users) - 1
            online = {0: "Nobody else is online yet.", 1: "1 other person is online."}.get(
                others, f"{others} other people are online.")
            if returning:
                lines.append(notice(f"Reconnected as {event.nick}. {online}"))
            else:
                lines.append(notice(f"Welcome, {event.nick}! {online}"))
                lines.append(notice("Press Enter to send. Click a name on the right to talk "
                                    "privately; type -help for the typed commands."))
            if event.admin and not returning:
                lines.append(notice("You are an admin: right-click a name, or use the "
                                    "buttons under the user list, to keep order."))
        if event.gap:
            lines.append(notice(GAP_TEXT))
        # Whatever the server has not confirmed goes again, in order, with its cid.
        for say in self.outbox.pending():
            self.outbox.mark_sent(say.cid)
            self._effects.append(Send(say))
        return lines

    def _history(self, history) -> list:
        fresh = [m for m in history if m.id not in self.shown_ids]
        if not fresh:
            return []
        lines = [separator("Earlier messages")]
        for m in fresh:
            self.shown_ids.add(m.id)
            lines.append(self._message_line(m, earlier=True))
        lines.append(separator("Now"))
        return lines

    def _joined(self, event: Joined) -> list:
        self._seen(event.seq)
        admins = {k for k in self.admins if k != nicks.key(event.nick)}
        if event.admin:
            admins.add(nicks.key(event.nick))
        users = self.users if self._present(event.nick) else sorted(
            self.users + [event.nick], key=nicks.key)
        self._set_users(users, admins)
        who = f"{event.nick} (admin)" if event.admin else event.nick
        return [notice(f"{clock(event.ts)}  {who} joined")]

    def _left(self, event: Left) -> list:
        self._seen(event.seq)
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
        if event.cid is not None and event.cid in self.outbox:
            if event.code == "rate_limited":
                self.outbox.later(event.cid)
                self._effects.append(SendLater(event.cid, RATE_LIMIT_RETRY))
                return []
            say = self.outbox.refuse(event.cid)
            self._effects.append(Restore(say.text))
        return [error_line(event.message or event.code)]

    def _bye(self, event: Bye) -> list:
        why = f": {event.message}" if event.message else "."
        if event.reason == "kicked":
            self.life.move(KICKED)
            self._offline()
            text = f"You were removed by an admin{why}"
            minutes = event.minutes
            if isinstance(minutes, (int, float)) and minutes > 0:
                text += f" You can join again in {minutes:g} minute" \
                        f"{'' if minutes == 1 else 's'}."
            self.banner = Banner("kicked", text, auto_retry=False, can_reconnect=False)
            return [self._ended(text)]
        if event.reason == "logout":
            self.life.move(LOGGED_OUT)
            self._offline()
            self.banner = Banner("logged_out", "You logged out.", auto_retry=False,
                                 can_reconnect=False)
            return [self._ended("You logged out.")]
        # dropped, timeout: the link ends; the close that follows starts the retries.
        if self.state == ONLINE:
            self.life.move(RECONNECTING)
            self._offline()
        self.session = None if event.reason == "dropped" else self.session
        text = {"dropped": "The server dropped this connection: it fell too far behind.",
                "timeout": "The server closed the connection: no login in time."}.get(
            event.reason, f"The server closed the connection ({event.reason}).")
        self.banner = Banner("lost", f"{text} Reconnecting…", auto_retry=True)
        return []

    def _shutdown(self, event: Shutdown) -> list:
        if self.state not in (ONLINE, RECONNECTING):
            return []     # already stopping, or a first login: the close that follows says it
        self.life.move(SHUTDOWN)
        self._offline()
        if event.by == "server":
            text = STOPPED_TEXT
            said = "The server stopped"
        else:
            text = f"The server was shut down by {event.by}"
            text += f": {event.reason}." if event.reason else "."
            text += " Reconnecting when it is back…"
            said = f"{event.by} shut the server down"
        self.banner = Banner("shutdown", text, auto_retry=True)
        # The strip is the status (loud); the conversation only notes where it ended,
        # as quietly as a join or a leave.
        return [self._ended(said + (f": {event.reason}" if event.reason else "."))]

    def _notice(self, event: Notice) -> list:
        when = clock(event.ts) if event.ts else clock(self.now_ms())
        return [notice(f"{when}  {event.text}")]

    def _room(self, event: RoomState) -> list:
        self.muted, self.muted_all, self.slow = _keys(event.muted), event.muted_all, event.slow
        self.users_version += 1
        return []

    def _ban_list(self, event: BanList) -> list:
        self.bans = event.bans
        self._effects.append(ShowBans(event.bans))
        return []

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


def login_error_text(event: Error, now_ms: Optional[int] = None) -> str:
    """What the connect dialog (or the strip) says when the server refuses the login."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    left = minutes_left(event.until, now_ms)
    if event.code == "locked_out":
        return (event.message or "Too many wrong admin passwords from this computer.") + (
            f" (about {left} min left)" if left else "")
    if event.code == "banned":
        text = event.message or "You were removed by an admin."
        if isinstance(event.until, int) and not isinstance(event.until, bool):
            text += f" You can join again at {clock(event.until)}."
        return text
    return {
        "nick_taken": "That nickname is already taken. Please choose another one.",
        "bad_password": "Wrong admin password. Leave it empty to join as a student.",
        "server_full": "The server is full. Try again later.",
    }.get(event.code, event.message or event.code)


def local_nick_problem(nick: str) -> Optional[str]:
    """Check the nickname before connecting, with the server's own rule."""
    return nicks.problem(nicks.normalise(nick.strip()))
