"""What the chat window shows and does, decided without a window or a socket.

The presenter keeps the client's state (who I am, who is online, the chosen
recipient, the life cycle, the outbox of unconfirmed messages, the heartbeat, the
teacher's order of the room) and turns each server event into `Line`s: text segments
with style tags the message pane knows how to draw. A `Line` with a `key` replaces the
pane's line with the same key where it stands (a pending message once it is sent, a
join digest as it grows). What the window must *do* (send a frame, close the link, try
again in 4 s, ask for the password, put a refused message back in the input box) comes
out as `effects`, which the app carries out. Nothing here imports tkinter or touches a
socket, so every decision is tested without either. Every sentence goes through the
catalog (`i18n._`).
"""

import bisect
import itertools
import time
import unicodedata
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional

from protocol import nicks
from protocol.errors import ProtocolError
from protocol.events import (
    AskBans, BanList, Bye, Down, Error, Help, HelpText, Identity, Joined, Kick, Left,
    Login, Logout, Message, Mute, Notice, Ping, Pong, RoomState, Say, Shutdown, Slow,
    Unban, Unknown, Unmute, UserList, Welcome,
)
from protocol.messages import clean_text
from protocol.text_codec import clock, parse_line
from desktop_client.i18n import _, ngettext
from desktop_client.lifecycle import (
    QUEUEING, RETRYING, Backoff, Heartbeat, LifeCycle, Phase,
)
from desktop_client.outbox import Outbox
from desktop_client.textsafe import tk_safe

APP_NAME = "ClassChat"
NICK_COLOURS = 24    # the pane defines tags nick0 .. nick23 (theme.NICK_COLOURS)
ADMIN_MARK = "★ "    # before an admin's name on every line they write
RATE_LIMIT_RETRY = 1.0   # seconds before a rate-limited message is sent again
DEFAULT_KICK_MINUTES = 10
MAX_LINES = 20           # lines in one message (Shift+Enter); more are refused / cut
DIGEST_WINDOW_MS = 60_000   # joins (or leaves) this close together share one line
DIGEST_NAMES = 5            # names a digest line spells out
USER_OPS_MAX = 400          # more list changes than this at once: the list is redrawn

# The life cycle's phases under their old names (the views compare against these).
OFFLINE, CONNECTING, ONLINE = Phase.OFFLINE, Phase.CONNECTING, Phase.ONLINE
RECONNECTING, SHUTDOWN, KICKED = Phase.RECONNECTING, Phase.SHUT_DOWN, Phase.KICKED
REFUSED, LOGGED_OUT = Phase.REFUSED, Phase.LOGGED_OUT
PASSWORD_CODES = ("bad_password", "locked_out")


def everyone_label() -> str:
    return _("Everyone")


@dataclass(frozen=True)
class Line:
    """One entry of the message pane: (text, tags) segments plus a kind for the row.
    Lines with the same `key` replace each other in place."""
    kind: str   # public, private, notice, error, separator, help
    parts: tuple
    own: bool = False
    earlier: bool = False
    key: Optional[str] = None
    state: str = ""      # own messages: pending, sent, failed

    @property
    def text(self) -> str:
        return "".join(part for part, _tags in self.parts)

    def line_tags(self) -> tuple:
        tags = [self.kind]
        if self.own:
            tags.append("private_own" if self.kind == "private" else "own")
        if self.earlier:
            tags.append("earlier")
        if self.state in ("pending", "failed"):
            tags.append(self.state)
        return tuple(tags)


@dataclass(frozen=True)
class Banner:
    """The strip above the messages when the conversation is interrupted or over.
    `countdown` says the same with `{seconds}` to the next try."""
    kind: str          # lost, shutdown, kicked, refused, logged_out
    text: str
    auto_retry: bool   # tries again by itself (with back-off)
    can_reconnect: bool = True   # offers a Reconnect button
    countdown: str = ""

    def says(self, seconds: Optional[int] = None) -> str:
        if seconds is None or not self.countdown:
            return self.text
        return self.countdown.format(seconds=seconds)


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


def sort_name(nick: str) -> str:
    """How a person sorts names: case and accents folded ("élodie" with the e's),
    then by script (Latin before Cyrillic, by code point)."""
    folded = unicodedata.normalize("NFKD", nicks.key(nick))
    return "".join(c for c in folded if not unicodedata.combining(c))


def notice(text: str, earlier: bool = False, key: Optional[str] = None) -> Line:
    return Line("notice", ((tk_safe(text), ("notice",)),), earlier=earlier, key=key)


def error_line(text: str) -> Line:
    return Line("error", ((tk_safe(text), ("error",)),))


def separator(text: str) -> Line:
    return Line("separator", ((tk_safe(text), ("separator",)),))


def minutes_left(until_ms: Optional[int], now_ms: int) -> Optional[int]:
    if not isinstance(until_ms, int) or isinstance(until_ms, bool):
        return None
    return max(1, -(-(until_ms - now_ms) // 60000))


def help_rows(admin: bool) -> list:
    """(flag, what it does) for -help: only what works in this app."""
    rows = [
        ("-all TEXT", _("a message to everyone")),
        ("-to NICK TEXT", _("a private message to NICK")),
        ("-users", _("who is online")),
        ("-whoami", _("who you are")),
        ("-help", _("this list")),
        ("-exit", _("log out and close the window")),
    ]
    if admin:
        rows += [
            ("-kick NICK [15m] [REASON]", _("remove NICK for 10 minutes (or as given)")),
            ("-bans, -unban NICK", _("list the bans, lift one")),
            ("-mute NICK|all", _("mute one student, or the class")),
            ("-unmute NICK|all", _("let them write again")),
            ("-slow SECONDS", _("one message per SECONDS for each student (0: off)")),
            ("down server [REASON]", _("shut the server down")),
        ]
    return rows


class Presenter:
    def __init__(self, clock=time.monotonic, backoff: Optional[Backoff] = None):
        self.me: Optional[str] = None
        self.admin = False
        # Who is online: by nicks.key, and in display order (sort keys, bisected).
        self._user_of: dict[str, str] = {}
        self._sort_of: dict[str, tuple] = {}
        self._order: list[tuple] = []
        self.user_ops: list = [("reset",)]   # list changes the view has not drawn yet
        self.admins: set[str] = set()  # nicks.key() of every admin online, me included
        self.users_version = 0        # bumps when the list changes
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
        # Exactly once, and what the pane shows of it.
        self.outbox = Outbox()
        self.shown_ids: set[int] = set()   # message ids already in the pane
        self._line_of_cid: dict[str, str] = {}   # cid -> the key of its line in the pane
        self._serial = itertools.count(1)
        self._effects: list = []
        # Clickable words in the pane (Retry, Undo): action id -> what it does.
        self._actions: dict[str, Callable] = {}
        self._undo_next: list = []    # (label, command) for the teacher's next notice
        # Join/leave digests: open while nothing else is said.
        self._said = 0
        self._digests: dict[str, dict] = {}
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
    def users(self) -> list:
        """Who is online, in display order (admins first, then by name)."""
        return [self._user_of[entry[-1]] for entry in self._order]

    @property
    def user_count(self) -> int:
        return len(self._order)

    @property
    def can_type(self) -> bool:
        """The input box takes messages (online, or queued while reconnecting)."""
        return self.state in QUEUEING and (not self.am_muted or self.is_admin(self.recipient))

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
            return _("To: {who}").format(who=everyone_label())
        nick = tk_safe(self.recipient, False)
        return _("To: {who}").format(who=nick if len(nick) <= limit else nick[:limit - 1] + "…")

    def title(self) -> str:
        title = APP_NAME
        if self.me:
            title += f" — {self.me}"
        if self.state != ONLINE and self.me:
            title += " " + _("(offline)")
        if self.unread:
            title = ngettext("({n} private)", "({n} private)", self.unread).format(
                n=self.unread) + " " + title
        return tk_safe(title, keep_newlines=False)

    def header_info(self) -> str:
        if not self.online:
            return _("offline")
        info = ngettext("{n} online", "{n} online", self.user_count).format(n=self.user_count)
        return info + (" · " + _("admin") if self.admin else "")

    def status_text(self, where: str) -> str:
        if self.online:
            return _("Connected to {where} · {server}").format(where=where,
                                                               server=self.server_name)
        return _("Not connected ({where})").format(where=where)

    def room_line(self) -> str:
        """The teacher's order in one line for the status strip ('' when none)."""
        parts = []
        if self.muted_all:
            parts.append(_("The class is muted: only admins can write")
                         if self.admin else _("Only the teacher can write now"))
        if self.slow:
            text = (_("Slow mode: one message every {seconds} s for students") if self.admin
                    else _("Slow mode: one message every {seconds} s"))
            parts.append(text.format(seconds=f"{self.slow:g}"))
        if self.admin and self.muted:
            names = [self._user_of[k] for k in sorted(self.muted) if k in self._user_of]
            if names:
                parts.append(_("Muted: {names}").format(names=", ".join(names)))
        return " · ".join(parts)

    def input_hint(self) -> str:
        """What the input box says instead of taking text ('' when it takes text)."""
        if self.am_muted and not self.is_admin(self.recipient):
            why = (_("Only the teacher can write now.") if self.muted_all
                   else _("You are muted: you can read, but not write."))
            # The server still takes a muted student's private message to an admin.
            return why + " " + _("Click the teacher's name to ask privately.")
        return ""

    def waiting_note(self) -> str:
        count = self.outbox.waiting()
        if not count:
            return ""
        return ngettext("{n} message waiting to send", "{n} messages waiting to send",
                        count).format(n=count)

    # ---- the user list -----------------------------------------------------------

    def user_row(self, nick: str) -> tuple:
        """(nick, label, tags). Admins (the teacher) say `(admin)` and carry the `admin`
        tag, which the list draws as a badge; your own row says `(you)` or
        `(you, admin)`; muted students say `(muted)`."""
        label = tk_safe(nick, False)
        tags = [f"nick{nick_colour(nick)}"]
        me, admin, muted = self.is_me(nick), self.is_admin(nick), self.is_muted(nick)
        words = [word for word, on in ((_("you"), me), (_("admin"), admin),
                                       (_("muted"), muted)) if on]
        if words:
            label += " (" + ", ".join(words) + ")"
        if me:
            tags.append("me")
        if admin:
            tags.append("admin")
        if muted:
            tags.append("muted")
        return (nick, label, tuple(tags))

    def user_rows(self, find: str = "") -> list:
        """(nick or None for Everyone, label, tags) in display order, Everyone first;
        with `find`, only the names that contain it (folded like the sort)."""
        rows = [(None, everyone_label(), ("everyone",))]
        wanted = sort_name(find.strip()) if find.strip() else ""
        for entry in self._order:
            if wanted and wanted not in entry[1]:
                continue
            rows.append(self.user_row(self._user_of[entry[-1]]))
        return rows

    def take_user_ops(self) -> list:
        """The list changes since the last call: ("reset",) or ("insert", index, row),
        ("delete", index), ("update", index, row); indexes count from the first user."""
        ops, self.user_ops = self.user_ops, []
        return ops

    def _op(self, op: tuple) -> None:
        self.users_version += 1
        if self.user_ops and self.user_ops[0] == ("reset",):
            return
        if len(self.user_ops) >= USER_OPS_MAX:
            self.user_ops = [("reset",)]
            return
        self.user_ops.append(op)

    def _sort_key(self, nick: str, admin: bool) -> tuple:
        key = nicks.key(nick)
        return (0 if admin else 1, sort_name(nick), key)

    def _add_user(self, nick: str) -> None:
        key = nicks.key(nick)
        if key in self._user_of:
            self._remove_user(key)
        entry = self._sort_key(nick, key in self.admins)
        index = bisect.bisect_left(self._order, entry)
        self._order.insert(index, entry)
        self._user_of[key], self._sort_of[key] = nick, entry
        self._op(("insert", index, self.user_row(nick)))

    def _remove_user(self, key: str) -> None:
        entry = self._sort_of.pop(key, None)
        if entry is None:
            return
        index = bisect.bisect_left(self._order, entry)
        del self._order[index]
        del self._user_of[key]
        self._op(("delete", index))

    def _update_user(self, key: str) -> None:
        """Redraw one row (muted, admin) where it stands, or move it when its place changes."""
        nick = self._user_of.get(key)
        if nick is None:
            return
        entry = self._sort_of[key]
        if entry != self._sort_key(nick, key in self.admins):
            self._add_user(nick)
            return
        self._op(("update", bisect.bisect_left(self._order, entry), self.user_row(nick)))

    # ---- things the student does -------------------------------------------------

    def select_recipient(self, nick: Optional[str]) -> None:
        """Clicking a user picks them; clicking Everyone (None) goes back."""
        if nick is not None:
            nick = self._user_of.get(nicks.key(nick))
        self.recipient = nick

    def set_focused(self, focused: bool) -> None:
        self.focused = focused
        if focused:
            self.unread = 0

    def read_input(self, raw: str) -> InputResult:
        """What was typed (one or more lines) -> what to send and/or show."""
        text = raw.strip()
        if not text:
            return InputResult(clear=False)
        if text.count("\n") >= MAX_LINES:
            return InputResult(lines=[error_line(ngettext(
                "A message can have at most {n} line.", "A message can have at most {n} lines.",
                MAX_LINES).format(n=MAX_LINES))], clear=False)
        first = text.split("\n", 1)[0]
        try:
            command = parse_line(text if "\n" not in text else first, logged_in=True,
                                 admin=self.admin)
        except ProtocolError as problem:
            return InputResult(lines=[error_line(self._usage_text(problem))], clear=False)
        if isinstance(command, Say) and "\n" in text:
            # Several lines: a message; the first line's flag (-to, -all) still counts.
            rest = text.split("\n", 1)[1]
            command = Say(command.text + "\n" + rest, command.to)
        elif "\n" in text and not isinstance(command, Say):
            command = Say(text)
            return self._say(command, explicit=False)
        if isinstance(command, Say):
            self._said += 1
            return self._say(command, explicit=text.startswith("-"))
        if isinstance(command, Help):
            return InputResult(lines=self.help_lines())
        if isinstance(command, Login):
            return InputResult(lines=[error_line(_(
                "You are already logged in as {nick}. Use -exit to leave first.").format(
                    nick=self.me))], clear=False)
        if isinstance(command, Logout):
            return InputResult(command=command, quit=True)
        if not self.online:
            return InputResult(lines=[error_line(_(
                "Not connected right now: try that again when the connection is back."))],
                clear=False)
        self._remember_undo(command)
        return InputResult(command=command)

    def help_lines(self) -> list:
        lines = [Line("help", ((tk_safe(_("Type a message and press Enter to send it; "
                                          "Shift+Enter starts a new line. Flags:")),
                                ("notice",)),))]
        for flag, what in help_rows(self.admin):
            lines.append(Line("help", ((flag, ("notice", "flag")), ("\t" + what, ("notice",)))))
        lines.append(notice(_("Click a name on the right to talk to that person only; "
                              "click Everyone to go back.")))
        return lines

    @staticmethod
    def _usage_text(problem: ProtocolError) -> str:
        message = problem.message or ""
        if message.startswith("Usage: "):
            return _("Usage: {usage}").format(usage=message[len("Usage: "):])
        if problem.code == "unknown_type":
            return _("Unknown flag. To send the line as a message, start it with -all.")
        return message

    def _say(self, command: Say, explicit: bool) -> InputResult:
        try:
            text = clean_text(command.text)
        except ProtocolError as problem:
            return InputResult(lines=[error_line(problem.message)], clear=False)
        if self.state not in QUEUEING:
            return InputResult(lines=[error_line(_("Not connected."))], clear=False)
        # A plain line goes to the chosen recipient; -all and -to say it themselves.
        to = command.to if explicit else self.recipient
        say = self.outbox.add(Say(text, to))
        self._line_of_cid[say.cid] = f"out{next(self._serial)}"
        line = self._own_line(say, "pending")
        if not self.online:
            return InputResult(lines=[line])   # kept in the outbox; sent when the link is back
        self.outbox.mark_sent(say.cid)
        return InputResult(command=say, lines=[line])

    def _own_line(self, say: Say, state: str) -> Line:
        """A message of mine before the server confirmed it: pending or not sent."""
        event = Message(0, self.now_ms(), self.me or "", say.to, say.text, cid=say.cid,
                        admin=self.admin)
        return self._message_line(event, state=state, key=self._line_of_cid.get(say.cid))

    def resend(self, cid: str) -> list:
        """A rate-limited message's second go (after SendLater)."""
        if not self.online or cid not in self.outbox:
            return []
        say = next(s for s in self.outbox.pending() if s.cid == cid)
        self.outbox.mark_sent(cid)
        return [Send(say)]

    def run_action(self, action: str) -> list:
        """A click on Retry or Undo in the pane: lines to show (effects as usual)."""
        do = self._actions.pop(action, None)
        return do() if do else []

    def _action(self, do: Callable) -> str:
        name = f"a{next(self._serial)}"
        self._actions[name] = do
        return name

    def _retry(self, say: Say, key: str) -> list:
        fresh = self.outbox.add(Say(say.text, say.to))
        self._line_of_cid[fresh.cid] = key
        if self.online:
            self.outbox.mark_sent(fresh.cid)
            self._effects.append(Send(fresh))
        return [self._own_line(fresh, "pending")]

    def kick_command(self, nick: str, reason: str, minutes=None) -> Kick:
        command = Kick(nick, reason.strip() or None, minutes)
        self._remember_undo(command)
        return command

    def down_command(self, reason: str) -> Down:
        return Down(reason.strip() or None)

    def mute_command(self, nick: Optional[str], on: bool):
        command = Mute(nick) if on else Unmute(nick)
        self._remember_undo(command)
        return command

    def class_mute_command(self):
        """The 'Mute the class' / 'Unmute the class' toggle."""
        return self.mute_command(None, not self.muted_all)

    def slow_command(self, seconds: float) -> Slow:
        command = Slow(max(0.0, seconds))
        self._remember_undo(command)
        return command

    def bans_command(self) -> AskBans:
        return AskBans()

    def unban_command(self, ban) -> Unban:
        return Unban(ban.nick or ban.ip)

    def _remember_undo(self, command) -> None:
        """The teacher's next notice gets an Undo that sends the opposite order."""
        undo = None
        if isinstance(command, Mute):
            undo = Unmute(command.nick)
        elif isinstance(command, Unmute):
            undo = Mute(command.nick)
        elif isinstance(command, Slow):
            undo = Slow(self.slow)
        elif isinstance(command, Kick) and command.minutes != 0:
            undo = Unban(command.nick)
        if undo is not None:
            self._undo_next.append((command, undo))

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
            return self.link_ended(_("no answer from the server"))
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
                detail or _("The server closed the connection before the login finished.")))
            return []
        if state == ONLINE:
            self.life.move(RECONNECTING)
            self._offline()
            self.banner = Banner("lost", _("Connection lost — reconnecting…"), auto_retry=True,
                                 countdown=_("Connection lost — reconnecting in {seconds} s…"))
        if self.state in RETRYING:
            self._effects.append(Retry(self.backoff.next_delay()))
        return []

    def apply(self, event) -> list:
        """A server event -> lines for the pane (state updated on the way)."""
        if self.awaiting_welcome and isinstance(event, Error):
            return self._login_refused(event)
        handler = self._handlers.get(type(event))
        if handler is None:
            return []
        lines = handler(event)
        if lines and not isinstance(event, (Joined, Left)):
            self._said += 1     # something else was said: the next join starts a new digest
        return lines

    def _login_refused(self, event: Error, text: Optional[str] = None) -> list:
        self.awaiting_welcome = False
        self.heartbeat = None
        self._effects.append(CloseLink())
        text = text or login_error_text(event, self.now_ms(), self.login_nick)
        if self.state == CONNECTING:
            self.life.move(OFFLINE)
            self._effects.append(DialogError(text))
            return []
        if event.code == "server_full":
            self._effects.append(Retry(self.backoff.next_delay()))
            return []
        self.life.move(REFUSED)
        if event.code in PASSWORD_CODES:
            self.password_refused = True
            self.banner = Banner("refused", _("The admin password was refused.") + " " + text,
                                 auto_retry=False)
            self._effects.append(AskPassword(text))
        else:
            self.banner = Banner("refused", _("Could not log in again: {why}").format(why=text),
                                 auto_retry=False)
            if event.code == "banned":
                # Try again when the ban ends, and once a minute before that: the teacher
                # may lift it (the server says no again until then).
                left = ((event.until or 0) - self.now_ms()) / 1000
                self._effects.append(Retry(max(1.0, min(60.0, left + 1))))
        return []

    # ---- event handlers ------------------------------------------------------------

    def _message_line(self, event: Message, earlier: bool = False, state: str = "",
                      key: Optional[str] = None) -> Line:
        time_part = (clock(event.ts) + "  ", ("time",))
        mark = ADMIN_MARK if event.admin or self.is_admin(event.sender) else ""
        sender = mark + tk_safe(event.sender, False)
        sender_tags = ("nick", f"nick{nick_colour(event.sender)}")
        own = self.is_me(event.sender)
        body = self._body(event.text)
        if state == "pending":
            body.append(("  " + (_("sending…") if self.online else _("waiting to send…")),
                         ("status",)))
        elif state == "sent":
            body.append(("  ✓", ("status",)))
        elif state == "failed":
            body.append(("  " + _("not sent"), ("status_failed",)))
        if event.to is None:
            who = (sender + (" " + _("(you)") if own else ""),
                   sender_tags + (("me",) if own else ()))
            return Line("public", (time_part, who, (": ", ("body",)), *body),
                        own=own, earlier=earlier, key=key, state=state)
        to = tk_safe(event.to, False)
        if own:
            route = [(mark + _("you"), sender_tags + ("me",)), (" → ", ("arrow",)),
                     (_("you") if self.is_me(event.to) else to,
                      ("nick", f"nick{nick_colour(event.to)}"))]
        else:
            route = [(sender, sender_tags), (" → ", ("arrow",)), (_("you"), ("nick", "me"))]
        return Line("private", (time_part, *route, ("  " + _("private"), ("badge",)),
                                (": ", ("body",)), *body),
                    own=own, earlier=earlier, key=key, state=state)

    @staticmethod
    def _body(text: str) -> list:
        """The text, one part per line: continuation lines carry `cont`, which the pane
        indents under the text (so none can pass for another person's message)."""
        lines = tk_safe(text).split("\n")
        if len(lines) > MAX_LINES:
            lines = lines[:MAX_LINES - 1] + ["…"]
        parts = [(lines[0], ("body",))]
        for more in lines[1:]:
            parts += [("\n", ("body",)), (more or " ", ("body", "cont"))]
        return parts

    def _seen(self, seq) -> None:
        if isinstance(seq, int) and seq > self.last_seq:
            self.last_seq = seq

    def _message(self, event: Message) -> list:
        self._seen(event.seq)
        key = None
        if self.is_me(event.sender) and event.cid is not None:
            self.outbox.confirm(event.cid)
            key = self._line_of_cid.pop(event.cid, None)
        if event.id in self.shown_ids:
            return []          # a replay or a re-echo of what the pane already shows
        self.shown_ids.add(event.id)
        if event.to is not None and not self.is_me(event.sender) and not self.focused:
            self.unread += 1
        return [self._message_line(event, state="sent" if key else "", key=key)]

    def _welcome_problem(self, event: Welcome) -> Optional[str]:
        """A welcome that cannot be ours is refused before anything changes."""
        wanted = self.me or self.login_nick
        if not isinstance(event.nick, str) or not event.nick or (
                wanted and nicks.key(event.nick) != nicks.key(wanted)):
            return _("the server welcomed someone else")
        if any(not isinstance(u, str) or not u or len(u) > 4 * nicks.MAX_NICK_CHARS
               for u in event.users):
            return _("its list of users is not a list of nicknames")
        if nicks.key(event.nick) not in {nicks.key(u) for u in event.users}:
            return _("you are not in its list of users")
        return None

    def _welcome(self, event: Welcome) -> list:
        problem = self._welcome_problem(event)
        if problem:
            text = _("This server's welcome makes no sense ({problem}). Is it a ClassChat "
                     "server?").format(problem=problem)
            return self._login_refused(Error("bad_frame", text), text)
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
        self.muted, self.muted_all, self.slow = _keys(event.muted), event.muted_all, event.slow
        self._set_users(event.users, _keys(event.admins))
        if self.recipient and not self._present(self.recipient):
            self.recipient = None
        lines = []
        if not resumed:
            # A fresh start (first login, or the server restarted): its order begins here.
            self.last_seq = event.seq
            lines = self._history(event.history)
            others = len(event.users) - 1
            online = (_("Nobody else is online yet.") if others == 0 else ngettext(
                "{n} other person is online.", "{n} other people are online.", others
            ).format(n=others))
            if returning:
                lines.append(notice(_("Reconnected as {nick}.").format(nick=event.nick)
                                    + " " + online))
            else:
                lines.append(notice(_("Welcome, {nick}!").format(nick=event.nick) + " " + online))
                lines.append(notice(_("Press Enter to send, Shift+Enter for a new line. Click a "
                                      "name on the right to talk privately; type -help for "
                                      "the typed commands.")))
            if event.admin and not returning:
                lines.append(notice(_("You are an admin: right-click a name, or use the "
                                      "buttons under the user list, to keep order.")))
        if event.gap:
            lines.append(notice(_("Some messages from while you were away could not be "
                                  "recovered.")))
        # Whatever the server has not confirmed goes again, in order, with its cid.
        for say in self.outbox.pending():
            self.outbox.mark_sent(say.cid)
            self._effects.append(Send(say))
            lines.append(self._own_line(say, "pending"))
        return lines

    def _history(self, history) -> list:
        fresh = [m for m in history if m.id not in self.shown_ids]
        if not fresh:
            return []
        lines = [separator(_("Earlier messages"))]
        for m in fresh:
            self.shown_ids.add(m.id)
            lines.append(self._message_line(m, earlier=True))
        lines.append(separator(_("Now")))
        return lines

    def _joined(self, event: Joined) -> list:
        self._seen(event.seq)
        key = nicks.key(event.nick)
        if event.admin:
            self.admins.add(key)
        else:
            self.admins.discard(key)
        self._add_user(event.nick)
        return [self._digest("joined", event.nick, event.ts, event.admin)]

    def _digest(self, kind: str, nick: str, ts, admin: bool = False, single: str = "") -> Line:
        """Joins (or leaves) in a burst share one quiet line that grows in place."""
        ts = ts if isinstance(ts, int) and not isinstance(ts, bool) else self.now_ms()
        name = f"{nick} ({_('admin')})" if admin else nick
        digest = self._digests.get(kind)
        if (digest is None or digest["said"] != self._said
                or ts - digest["start"] > DIGEST_WINDOW_MS):
            digest = self._digests[kind] = {"said": self._said, "start": ts, "count": 0,
                                            "names": [], "key": f"{kind}{next(self._serial)}"}
        digest["count"] += 1
        if len(digest["names"]) < DIGEST_NAMES:
            digest["names"].append(name)
        digest["single"] = single
        count = digest["count"]
        when = clock(digest["start"]) + "  "
        if count == 1:
            text = single or _("{nick} joined").format(nick=name)
        else:
            names = ", ".join(digest["names"])
            if count > len(digest["names"]):
                names += " " + ngettext("and {n} more", "and {n} more",
                                        count - len(digest["names"])).format(
                    n=count - len(digest["names"]))
            template = (ngettext("{n} joined: {names}", "{n} joined: {names}", count)
                        if kind == "joined" else
                        ngettext("{n} left: {names}", "{n} left: {names}", count))
            text = template.format(n=count, names=names)
        return notice(when + text, key=digest["key"])

    def _left(self, event: Left) -> list:
        self._seen(event.seq)
        key = nicks.key(event.nick)
        self._remove_user(key)
        self.admins.discard(key)
        self.muted.discard(key)
        text = left_text(event.nick, event.reason, event.by)
        if event.message:
            text += f": {event.message}"
        if event.reason == "kicked" or event.message:
            lines = [notice(f"{clock(event.ts)}  {text}")]
            undo = self._take_undo(lambda c: isinstance(c, Kick)
                                   and nicks.key(c.nick) == key)
            if undo is not None:
                lines = [self._with_undo(lines[0], undo)]
            self._said += 1
        else:
            lines = [self._digest("left", event.nick, event.ts, single=text)]
        if self.recipient and nicks.key(self.recipient) == key:
            self.recipient = None
            lines.append(notice(_("{nick} is gone; your messages go to Everyone again.").format(
                nick=event.nick)))
            self._said += 1
        return lines

    def _user_list(self, event: UserList) -> list:
        self._set_users(event.users, _keys(event.admins))
        names = [f"{u} ({_('admin')})" if self.is_admin(u) else u for u in self.users]
        return [notice(_("Online ({n}): {names}").format(n=len(names), names=", ".join(names)))]

    def _identity(self, event: Identity) -> list:
        self.admin = event.admin
        self._set_users(self.users, self.admins)
        return [notice((_("You are {nick} (admin).") if event.admin
                        else _("You are {nick}.")).format(nick=event.nick))]

    def _error(self, event: Error) -> list:
        text = event.message or event.code
        if event.cid is not None and event.cid in self.outbox:
            if event.code == "rate_limited":
                self.outbox.later(event.cid)
                self._effects.append(SendLater(event.cid, RATE_LIMIT_RETRY))
                return []
            say = self.outbox.refuse(event.cid)
            self._effects.append(Restore(say.text))
            key = self._line_of_cid.pop(event.cid, None)
            if key is not None:
                failed = self._own_line_failed(say, key)
                return [failed, error_line(text)]
        return [error_line(text)]

    def _own_line_failed(self, say: Say, key: str) -> Line:
        line = self._message_line(
            Message(0, self.now_ms(), self.me or "", say.to, say.text, admin=self.admin),
            state="failed", key=key)
        retry = self._action(lambda: self._retry(say, key))
        return Line(line.kind, line.parts + (("  ", ("body",)), (_("Retry"), ("action", f"act-{retry}"))),
                    own=True, key=key, state="failed")

    def _take_undo(self, matches=lambda command: True):
        for index, (command, undo) in enumerate(self._undo_next):
            if matches(command):
                del self._undo_next[index]
                return undo
        return None

    def _with_undo(self, line: Line, undo) -> Line:
        action = self._action(lambda: (self._effects.append(Send(undo)), [])[1])
        return Line(line.kind, line.parts + (("  ", ("notice",)), (_("Undo"), ("action", f"act-{action}"))),
                    key=line.key)

    def _bye(self, event: Bye) -> list:
        why = f": {event.message}" if event.message else "."
        if event.reason == "kicked":
            self.life.move(KICKED)
            self._offline()
            text = _("You were removed by an admin") + why
            minutes = event.minutes
            if isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and minutes > 0:
                text += " " + ngettext("You can join again in {n} minute.",
                                       "You can join again in {n} minutes.",
                                       int(minutes)).format(n=f"{minutes:g}")
            self.banner = Banner("kicked", text, auto_retry=False, can_reconnect=False)
            return [self._ended(text)]
        if event.reason == "logout":
            self.life.move(LOGGED_OUT)
            self._offline()
            self.banner = Banner("logged_out", _("You logged out."), auto_retry=False,
                                 can_reconnect=False)
            return [self._ended(_("You logged out."))]
        # dropped, timeout: the link ends; the close that follows starts the retries.
        if self.state == ONLINE:
            self.life.move(RECONNECTING)
            self._offline()
        self.session = None if event.reason == "dropped" else self.session
        text = {"dropped": _("The server dropped this connection: it fell too far behind."),
                "timeout": _("The server closed the connection: no login in time.")}.get(
            event.reason, _("The server closed the connection ({reason}).").format(
                reason=event.reason))
        self.banner = Banner("lost", text + " " + _("Reconnecting…"), auto_retry=True,
                             countdown=text + " " + _("Reconnecting in {seconds} s…"))
        return []

    def _shutdown(self, event: Shutdown) -> list:
        if self.state not in (ONLINE, RECONNECTING):
            return []     # already stopping, or a first login: the close that follows says it
        self.life.move(SHUTDOWN)
        self._offline()
        reason = event.reason or ""
        if not event.by or event.by == "server":
            # A signal (Ctrl+C, a restart): nobody in particular shut it down.
            said = _("The server stopped")
        elif self.is_me(event.by):
            said = _("You shut the server down")
        else:
            said = _("{who} shut the server down").format(who=event.by)
        said += f": {reason.rstrip('.!?')}." if reason else "."
        self.banner = Banner("shutdown", said + " " + _("Reconnecting when it is back…"),
                             auto_retry=True,
                             countdown=said + " " + _("Reconnecting in {seconds} s…"))
        # The strip is the status (loud); the conversation only notes where it ended,
        # as quietly as a join or a leave.
        return [self._ended(said)]

    def _notice(self, event: Notice) -> list:
        when = clock(event.ts) if event.ts else clock(self.now_ms())
        line = notice(f"{when}  {event.text}")
        if self.admin:
            undo = self._take_undo(lambda c: not isinstance(c, Kick))
            if undo is not None:
                line = self._with_undo(line, undo)
        return [line]

    def _room(self, event: RoomState) -> list:
        before = self.muted
        self.muted, self.muted_all, self.slow = _keys(event.muted), event.muted_all, event.slow
        for key in before ^ self.muted:
            self._update_user(key)
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
        return nicks.key(nick) in self._user_of

    def _set_users(self, users, admin_keys=frozenset()) -> None:
        """The whole list at once (a welcome, a users answer). Admins by nicks.key; only
        nicks in the list count. You are an admin when the server said so, even a
        server that does not list admins."""
        self._user_of = {nicks.key(u): u for u in users}
        online = set(self._user_of)
        self.admins = set(admin_keys) & online
        if self.admin and self.me is not None and nicks.key(self.me) in online:
            self.admins.add(nicks.key(self.me))
        elif self.me is not None and not self.admin:
            self.admins.discard(nicks.key(self.me))
        self._sort_of = {k: self._sort_key(u, k in self.admins) for k, u in self._user_of.items()}
        self._order = sorted(self._sort_of.values())
        self.users_version += 1
        self.user_ops = [("reset",)]


def _keys(names) -> set:
    return {nicks.key(name) for name in names}


def left_text(nick: str, reason: str, by: Optional[str] = None) -> str:
    if reason == "kicked" and by:
        return _("{nick} was removed by {by}").format(nick=nick, by=by)
    return {
        "quit": _("{nick} left"),
        "disconnected": _("{nick} disconnected"),
        "kicked": _("{nick} was removed by an admin"),
        "dropped": _("{nick} was dropped (too slow to keep up)"),
    }.get(reason, _("{nick} left ({reason})")).format(nick=nick, reason=reason)


def login_error_text(event: Error, now_ms: Optional[int] = None,
                     nick: Optional[str] = None) -> str:
    """What the connect dialog (or the strip) says when the server refuses the login."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    left = minutes_left(event.until, now_ms)
    if event.code == "locked_out":
        text = _("Too many wrong admin passwords from this computer.")
        return text + (" " + _("(about {n} min left)").format(n=left) if left else "")
    if event.code == "banned":
        text = _("You were removed by an admin.")
        if isinstance(event.until, int) and not isinstance(event.until, bool):
            text += " " + _("You can join again at {time}.").format(time=clock(event.until))
        return text
    if event.code == "nick_invalid" and nick:
        return local_nick_problem(nick) or _("The server does not accept this nickname.")
    if event.code in ("bad_frame", "bad_json", "line_too_long"):
        return _("The server answered something this app cannot read. Is it a ClassChat "
                 "server?")
    return {
        "nick_taken": _("That nickname is already taken. Please choose another one."),
        "bad_password": _("Wrong admin password. Leave it empty to join as a student."),
        "server_full": _("The server is full. Try again later."),
    }.get(event.code, event.message or event.code)


def local_nick_problem(nick: str) -> Optional[str]:
    """Check the nickname before connecting, with the server's own rule, and say what
    is wrong the way a person would."""
    nick = nicks.normalise(nick.strip())
    problem = nicks.problem(nick)
    if problem is None:
        return None
    if not nick:
        return _("Type a nickname.")
    if len(nick) > nicks.MAX_NICK_CHARS:
        return _("Nicknames can have at most {n} characters.").format(n=nicks.MAX_NICK_CHARS)
    if any(c.isspace() for c in nick):
        return _("Nicknames can't contain spaces.")
    bad = [c for i, c in enumerate(nick) if not nicks._allowed(c, i)]
    if bad:
        shown = bad[0] if bad[0].isprintable() and not unicodedata.category(bad[0]).startswith(
            ("C", "Z", "M")) else _("an invisible character")
        return _("Nicknames can only use letters, digits, _ - and . (not {char}).").format(
            char=f"“{shown}”" if shown != _("an invisible character") else shown)
    if nicks._mixed_scripts(nick):
        return _("Use one alphabet in a nickname (not Latin and Cyrillic letters together).")
    return _("“{nick}” is reserved: choose another nickname.").format(nick=nick)
