"""IRC: stock clients (irssi, WeeChat, HexChat) in the classroom, which is one channel.

A registered IRC user is an ordinary user of the room: its PRIVMSGs are the room's
messages, and the room's events come back as IRC lines. The mapping, choices and every
numeric are in docs/protocol.md, "IRC clients".

Most events are encoded once and shared (`_Wire`: a PRIVMSG to the channel from someone
else, a JOIN, a QUIT); what differs by recipient (numerics name it, a sender gets no
echo of its own message unless it asked for `echo-message`, the answer to a WHO) is made
per connection in `Irc.render`, which `Connection.send` calls for this dialect.
"""

import dataclasses
import logging
import weakref

from protocol import SERVER_NAME, irc, nicks
from protocol.errors import ProtocolError
from protocol.text_codec import clock
from protocol.events import (
    AskBans, AskUsers, BanList, Bye, Down, Error, Joined, Kick, Left, Login, Logout,
    Message, Mute, Notice, Ping, Pong, RoomState, Say, Shutdown, Slow, Unban, Unmute,
    UserList, Welcome,
)
from server.outgoing import Batch, Outgoing

log = logging.getLogger(__name__)

SERVER = "classchat.lan"          # the server's name in prefixes
USER_HOST = "classroom"           # every user is nick!nick@classroom
CAPS = ("server-time", "echo-message", "multi-prefix")
NICKLEN = nicks.MAX_NICK_CHARS
CHANNELLEN = 50
TOPICLEN = 300
AWAYLEN = 200
KICKLEN = 300
MAX_TARGETS = 4
ME_PREFIX = "/me "                # how an IRC action (/me waves) travels through the room
_WORDS = (b"CAP", b"NICK", b"USER", b"PASS")
_LEFT_WORDS = {"quit": "Left the class", "disconnected": "Connection lost",
               "dropped": "Too slow to read: dropped", "kicked": "Removed by the teacher"}


def prefix(nick: str) -> str:
    return f"{nick}!{nick}@{USER_HOST}"


# ---- what every IRC user of a room shares ---------------------------------------------

class Channel:
    """The channel's IRC-only state: the topic and who of its IRC users is away."""

    def __init__(self, name: str):
        self.name = name
        self.topic = ""
        self.topic_by = ""
        self.topic_at = 0
        self.members: dict[str, "Irc"] = {}   # nick key -> the IRC user in the room

    def member(self, nick: str) -> "Irc | None":
        key = nicks.key(nick)
        found = self.members.get(key)
        if found is not None and not found.present():
            del self.members[key]
            return None
        return found

    def live_members(self):
        for key, member in list(self.members.items()):
            if member.present():
                yield member
            else:
                del self.members[key]


_CHANNELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # room -> Channel


def channel_of(room, name: str) -> Channel:
    found = _CHANNELS.get(room)
    if found is None:
        found = _CHANNELS[room] = Channel(name)
    return found


class _Wire:
    """The encoding every IRC recipient with the same options shares (Outgoing caches it
    per wire): one per channel name, with or without `server-time` tags."""

    line_based = True

    def __init__(self, channel: str, timed: bool):
        self.channel = channel
        self.timed = timed

    def encode(self, outgoing) -> bytes:
        event = outgoing.event
        kind = type(event)
        if kind is Message:
            return self.message(event)
        tags = {"time": irc.server_time(event.ts)} if self.timed and hasattr(event, "ts") else None
        if kind is Joined:
            mode = "+o" if event.admin else "+v"
            return (irc.line("JOIN", self.channel, prefix=prefix(event.nick), tags=tags)
                    + irc.line("MODE", self.channel, mode, event.nick, prefix=SERVER))
        if kind is Left:
            if event.reason == "kicked":
                return irc.line("KICK", self.channel, event.nick,
                                event.message or _LEFT_WORDS["kicked"],
                                prefix=prefix(event.by) if event.by else SERVER,
                                tags=tags, trailing=True)
            return irc.line("QUIT", _LEFT_WORDS.get(event.reason, event.reason),
                            prefix=prefix(event.nick), tags=tags, trailing=True)
        if kind is Notice:
            return b"".join(irc.line("NOTICE", self.channel, piece, prefix=SERVER, tags=tags,
                                     trailing=True)
                            for piece in _pieces(event.text, _budget("NOTICE", SERVER,
                                                                     self.channel)))
        if kind is Shutdown:
            return shutdown_lines(event, self.channel)
        return Irc.encode(outgoing)

    def message(self, event: Message) -> bytes:
        target = self.channel if event.to is None else event.to
        source = prefix(event.sender)
        tags = {"time": irc.server_time(event.ts)} if self.timed else None
        text = event.text
        action = text.startswith(ME_PREFIX)
        if action:
            text = text[len(ME_PREFIX):]
        budget = _budget("PRIVMSG", source, target) - (9 if action else 0)
        lines = []
        for piece in _pieces(text, budget):
            if action:
                piece = f"\x01ACTION {piece}\x01"
            lines.append(irc.line("PRIVMSG", target, piece, prefix=source, tags=tags,
                                  trailing=True))
        return b"".join(lines)


_WIRES: dict[tuple[str, bool], _Wire] = {}


def wire_for(channel: str, timed: bool) -> _Wire:
    found = _WIRES.get((channel, timed))
    if found is None:
        found = _WIRES[(channel, timed)] = _Wire(channel, timed)
    return found


def _budget(command: str, source: str, target: str) -> int:
    """Bytes left for the text of `:source COMMAND target :text\\r\\n` in 512."""
    return irc.MAX_LINE - len(f":{source} {command} {target} :\r\n".encode("utf-8"))


def _pieces(text: str, budget: int) -> list[str]:
    """A room text as IRC texts: one per line of it, each cut to fit."""
    pieces = []
    for text_line in text.split("\n"):
        if text_line.strip():
            pieces.extend(irc.split_text(text_line, max(budget, 16)))
    return pieces or [" "]


def shutdown_lines(event: Shutdown, channel: str) -> bytes:
    who = "the server" if event.by == "server" else event.by
    sentence = f"The server is going down ({who})" + (f": {event.reason}" if event.reason
                                                      else ".")
    return (irc.line("NOTICE", channel, sentence, prefix=SERVER, trailing=True)
            + irc.line("ERROR", f"Closing Link: {sentence}"))


# ---- one IRC connection ---------------------------------------------------------------

# The phases of a connection: before the room knows it, in the class, out of it (PART).
NEW, IN_CLASS, PARTED = "new", "in class", "parted"


class Irc:
    name = "irc"
    line_based = True
    personal = True        # Connection.send asks `render` for each event (see module doc)

    @staticmethod
    def claims(first: bytes):
        for word in _WORDS:
            if first.startswith(word + b" "):
                return True
            if (word + b" ").startswith(first):
                return None        # "NIC": what comes next decides
        return False

    def __init__(self, conn, settings, web=None):
        self.conn = conn
        self.settings = settings
        self.channel = settings.irc_channel
        self.reader = irc.LineReader()
        self.room = None
        self.shared = wire_for(self.channel, False)
        self.phase = NEW
        self.caps: set[str] = set()
        self.negotiating = False       # CAP LS/REQ seen, CAP END not yet
        self.nick: str | None = None   # the nick asked for (the room's spelling once in)
        self.user: str | None = None
        self.realname = ""
        self.password: str | None = None
        self.away: str | None = None
        self.modes = ""                # user modes the client set on itself (+i)
        self.order = RoomState()       # the room's order as this client was last told
        self.doing: tuple = ("", "")   # the command being handled: errors are answered
                                       # with its numeric
        self.pinged_at: float | None = None

    # ---- the loop's side -----------------------------------------------------------

    def feed(self, data: bytes) -> list:
        return self.reader.feed(data)

    def finish(self) -> list:
        return self.reader.finish()

    def present(self) -> bool:
        """In the room now (the channel's member list is checked against this)."""
        conn = self.conn
        return self.phase == IN_CLASS and not conn.closed and conn.nick is not None

    def tick(self, now: float) -> None:
        """The loop's sweep: ping an idle client, and let a silent one go."""
        conn = self.conn
        if self.phase == NEW or conn.closing:
            return
        if self.pinged_at is not None and conn.last_heard >= self.pinged_at:
            self.pinged_at = None
        if self.pinged_at is None:
            if now - conn.last_heard >= self.settings.heartbeat:
                self.pinged_at = now
                conn.queue(irc.line("PING", SERVER))
        elif now - self.pinged_at >= self.settings.heartbeat_timeout:
            log.info("%s: no PONG in %.0f s", conn.tag, now - self.pinged_at)
            conn.queue(irc.line("ERROR", f"Closing Link: Ping timeout "
                                         f"({now - conn.last_heard:.0f} seconds)"))
            conn.close_after_output()

    # ---- events out ------------------------------------------------------------------

    @staticmethod
    def encode(outgoing) -> bytes:
        """Without a connection (the loop's last word to a dropped client): ERROR lines."""
        event = outgoing.event
        kind = type(event)
        if kind is Bye:
            return irc.line("ERROR", "Closing Link: " + _BYE_WORDS.get(event.reason,
                                                                       event.reason))
        if kind is Shutdown:
            return shutdown_lines(event, "*")
        if kind is Error:
            return irc.line("NOTICE", "*", event.message, prefix=SERVER, trailing=True)
        return b""

    def render(self, outgoing) -> bytes:
        """The bytes this connection gets for `outgoing` (Connection.send)."""
        if type(outgoing) is Batch:
            return outgoing.encoded(self.shared)      # lefts: the same for everyone
        event = outgoing.event
        kind = type(event)
        if kind is Message:
            if (event.sender == self.nick and "echo-message" not in self.caps
                    and (event.to is None or nicks.key(event.to) != nicks.key(self.nick))):
                return b""                          # IRC clients show what they sent
            return outgoing.encoded(self.shared)
        answer = _RENDER.get(kind)
        if answer is not None:
            return answer(self, event)
        return outgoing.encoded(self.shared)

    def _numeric(self, code: int, *params: str) -> bytes:
        return irc.numeric(SERVER, code, self.nick if self.phase != NEW else "*", *params)

    def _welcome(self, event: Welcome) -> bytes:
        self.nick = event.nick
        self.order = RoomState(event.muted, event.muted_all, event.slow)
        doing, _ = self.doing
        was_new, self.phase = self.phase, IN_CLASS
        channel = channel_of(self.room, self.channel)
        channel.members[nicks.key(event.nick)] = self
        if doing in ("OPER", "REJOIN"):
            return (self._numeric(381, "You are now an admin: you may KICK, KILL, DIE, "
                                       "TOPIC, MODE +m/-v and SLOW.")
                    + irc.line("MODE", self.channel, "+o", self.nick, prefix=SERVER)
                    if event.admin else b"")
        parts = [self._registration()] if was_new == NEW else []
        parts.append(self._join_block(event.users, event.admins, channel))
        if was_new == NEW and event.history:
            parts.append(self._history(event.history))
        return b"".join(parts)

    def _registration(self) -> bytes:
        n = self._numeric
        tokens = ["CASEMAPPING=ascii", "CHANTYPES=#", "CHANLIMIT=#:1",
                  f"CHANNELLEN={CHANNELLEN}", f"NICKLEN={NICKLEN}", f"TOPICLEN={TOPICLEN}",
                  f"KICKLEN={KICKLEN}", f"AWAYLEN={AWAYLEN}", "PREFIX=(ov)@+",
                  "CHANMODES=b,,,mnt", "MODES=4", f"MAXTARGETS={MAX_TARGETS}",
                  f"TARGMAX=PRIVMSG:{MAX_TARGETS},NOTICE:{MAX_TARGETS}",
                  "NETWORK=Classroom", "UTF8ONLY", "SAFELIST"]
        return b"".join([
            n(1, f"Welcome to the classroom chat, {self.nick}"),
            n(2, f"Your host is {SERVER}, running {SERVER_NAME}"),
            n(3, "This server was created for today's lesson"),
            irc.numeric(SERVER, 4, self.nick, SERVER, SERVER_NAME, "io", "bmntov"),
            n(5, *tokens[:12], "are supported by this server"),
            n(5, *tokens[12:], "are supported by this server"),
            self._motd(),
        ])

    def _motd(self) -> bytes:
        n = self._numeric
        channel = self.channel
        motd = [f"- Welcome to the classroom chat. The class is {channel}: you are in it.",
                f"- Talk to everyone in {channel}; /msg NICK TEXT talks to one classmate.",
                "- Everyone else sees you here too: the desktop app, the browser, nc.",
                "- The teacher is marked @. Be kind; the teacher can remove you."]
        return b"".join([n(375, f"- {SERVER} Message of the day -"),
                         *(n(372, text) for text in motd), n(376, "End of /MOTD command.")])

    def _join_block(self, users, admins, channel: Channel) -> bytes:
        parts = [irc.line("JOIN", self.channel, prefix=prefix(self.nick))]
        if channel.topic:
            parts.append(self._numeric(332, self.channel, channel.topic))
            parts.append(irc.numeric(SERVER, 333, self.nick, self.channel, channel.topic_by,
                                     str(channel.topic_at // 1000)))
        parts.append(self._names(users, admins))
        return b"".join(parts)

    def _names(self, users, admins) -> bytes:
        marked = self._marked(users, admins)
        head = f":{SERVER} 353 {self.nick} = {self.channel} :"
        budget = irc.MAX_LINE - len(head.encode("utf-8")) - 2
        parts, current, used = [], [], 0
        for name in marked:
            size = len(name.encode("utf-8")) + 1
            if current and used + size > budget:
                parts.append(self._numeric(353, "=", self.channel, " ".join(current)))
                current, used = [], 0
            current.append(name)
            used += size
        if current:
            parts.append(self._numeric(353, "=", self.channel, " ".join(current)))
        parts.append(self._numeric(366, self.channel, "End of /NAMES list."))
        return b"".join(parts)

    def _marked(self, users, admins) -> list[str]:
        admins = set(admins)
        muted = {nicks.key(n) for n in self.order.muted}
        return [("@" if nick in admins else "" if nicks.key(nick) in muted else "+") + nick
                for nick in users]

    def _history(self, history) -> bytes:
        wire = self.shared
        note = f"Earlier in the class ({len(history)} message{'s' if len(history) > 1 else ''}):"
        if not wire.timed:
            # Without server-time a client stamps every line with now: the message's own
            # time goes in front of its text, so an old line does not pass for a new one.
            history = [dataclasses.replace(m, text=f"[{clock(m.ts)}] {m.text}")
                       for m in history]
        return b"".join([
            irc.line("NOTICE", self.channel, note, prefix=SERVER, trailing=True),
            *(Outgoing(message).encoded(wire) for message in history),
            irc.line("NOTICE", self.channel, "End of the earlier messages.", prefix=SERVER,
                     trailing=True)])

    def _user_list(self, event: UserList) -> bytes:
        doing, what = self.doing
        if doing == "WHO":
            return self._who(event.users, event.admins, what)
        return self._names(event.users, event.admins)

    def _who(self, users, admins, mask: str) -> bytes:
        channel = channel_of(self.room, self.channel)
        admins = set(admins)
        muted = {nicks.key(n) for n in self.order.muted}
        wanted = None
        if mask and mask != "*" and not self._is_channel(mask) and mask != "0":
            wanted = nicks.key(mask)
        parts = []
        for nick in users:
            if wanted is not None and nicks.key(nick) != wanted:
                continue
            member = channel.member(nick)
            flags = ("G" if member and member.away else "H") + (
                "*@" if nick in admins else "" if nicks.key(nick) in muted else "+")
            realname = member.realname if member else "classroom app"
            parts.append(self._numeric(352, self.channel, nick, USER_HOST, SERVER, nick,
                                       flags, f"0 {realname}"))
        parts.append(self._numeric(315, mask or "*", "End of /WHO list."))
        return b"".join(parts)

    def _room_state(self, event: RoomState) -> bytes:
        old, self.order = self.order, event
        changes = []
        if event.muted_all != old.muted_all:
            changes.append(("+m" if event.muted_all else "-m", None))
        before = {nicks.key(n): n for n in old.muted}
        after = {nicks.key(n): n for n in event.muted}
        changes += [("-v", after[k]) for k in after if k not in before]
        changes += [("+v", before[k]) for k in before if k not in after]
        return b"".join(irc.line("MODE", self.channel, mode, *(() if who is None else (who,)),
                                 prefix=SERVER) for mode, who in changes)

    def _bye(self, event: Bye) -> bytes:
        doing, what = self.doing
        if event.reason == "logout" and doing in ("PART", "OPER", "JOIN 0"):
            if doing == "OPER":
                return b""
            return irc.line("PART", self.channel, what or "Left the class",
                            prefix=prefix(self.nick), trailing=True)
        if event.reason == "logout":
            return irc.line("ERROR", f"Closing Link: {self.nick} (Quit: {what or 'Bye'})")
        if event.reason == "kicked":
            by = event.by or SERVER
            reason = event.message or _LEFT_WORDS["kicked"]
            minutes = event.minutes or 0
            back = (f"; you can come back in {minutes:g} minute{'s' if minutes != 1 else ''}"
                    if minutes else "")
            return (irc.line("KICK", self.channel, self.nick, reason,
                             prefix=prefix(by) if event.by else SERVER, trailing=True)
                    + irc.line("ERROR", f"Closing Link: {self.nick} (Kicked by {by}: "
                                        f"{reason}{back})"))
        return Irc.encode(Outgoing(event))

    def _pong_out(self, event: Pong) -> bytes:
        token = event.id if isinstance(event.id, str) else SERVER
        return irc.line("PONG", SERVER, token, prefix=SERVER, trailing=True)

    def _ban_list(self, event: BanList) -> bytes:
        lines = [f"{ban.nick or '-'} {ban.ip or '-'} by {ban.by}"
                 + (f": {ban.reason}" if ban.reason else "") for ban in event.bans]
        lines = lines or ["Nobody is banned."]
        return b"".join(irc.line("NOTICE", self.nick, text, prefix=SERVER, trailing=True)
                        for text in lines)

    def _error(self, event: Error) -> bytes:
        doing, what = self.doing
        if doing == "NOTICE":
            return b""                   # never an automatic answer to a NOTICE (RFC 2812)
        code = event.code
        numeric = _ERROR_NUMERICS.get((doing, code)) or _ERROR_NUMERICS.get(("", code))
        if numeric is None:
            return irc.line("NOTICE", self.nick or "*", event.message, prefix=SERVER,
                            trailing=True)
        number, first = numeric
        params = {"what": (what or doing or "*",), "channel": (self.channel,),
                  "command": (doing or "*",), None: ()}[first]
        answer = self._numeric(number, *params, event.message)
        if number == 465 or (number == 464 and doing == "LOGIN"):
            answer += irc.line("ERROR", f"Closing Link: {event.message}")
            self.conn.close_after_output()
        return answer

    # ---- frames in -------------------------------------------------------------------

    def handle(self, frame, room) -> None:
        self.room = room
        if type(frame) is irc.TooLong:
            self.conn.queue(self._numeric(417, "Input line was too long"))
            return
        try:
            message = irc.parse(frame)
        except irc.RemoteProtocolError as refusal:
            if refusal.numeric:
                self.conn.queue(self._numeric(refusal.numeric, str(refusal)))
            return                       # not IRC at all: ignored, as servers do
        handler = _COMMANDS.get(message.command)
        if handler is None:
            if self._spend(1, message.command):
                self.conn.queue(self._numeric(421, message.command, "Unknown command"))
            return
        if self.phase == NEW and message.command not in _BEFORE_REGISTRATION:
            if self._spend(1, message.command):
                self.conn.queue(self._numeric(451, "You have not registered"))
            return
        minimum = _MIN_PARAMS.get(message.command, 0)
        if len(message.params) < minimum:
            if self._spend(1, message.command):
                self.conn.queue(self._numeric(461, message.command,
                                              "Not enough parameters"))
            return
        handler(self, room, message.params)

    def _spend(self, weight: float, command: str) -> bool:
        """The connection's work budget (--command-rate), for what the room never sees."""
        if self.conn.may_work(weight):
            return True
        self.conn.queue(self._numeric(263, command, "Too many commands at once; wait a "
                                                    "second and try again."))
        return False

    def _to_room(self, room, command, doing: str, what: str = "") -> None:
        self.doing = (doing, what)
        try:
            room.handle(self.conn, command)
        finally:
            self.doing = ("", "")

    def _is_channel(self, name: str) -> bool:
        return name.casefold() == self.channel.casefold()

    def _no_such_channel(self, name: str) -> None:
        self.conn.queue(self._numeric(403, name, f"No such channel: this classroom has one "
                                                 f"channel, {self.channel}"))

    # registration

    def _cap(self, room, params) -> None:
        if not self._spend(1, "CAP"):
            return
        sub = params[0].upper()
        target = self.nick or "*"
        if sub == "LS":
            self.negotiating = self.phase == NEW
            self.conn.queue(irc.line("CAP", target, "LS", " ".join(CAPS), prefix=SERVER,
                                     trailing=True))
        elif sub == "LIST":
            self.conn.queue(irc.line("CAP", target, "LIST", " ".join(sorted(self.caps)),
                                     prefix=SERVER, trailing=True))
        elif sub == "REQ" and len(params) > 1:
            self.negotiating = self.phase == NEW
            wanted = params[1].split()
            if all(cap.lstrip("-") in CAPS for cap in wanted):
                for cap in wanted:
                    (self.caps.discard if cap.startswith("-") else self.caps.add)(
                        cap.lstrip("-"))
                self.shared = wire_for(self.channel, "server-time" in self.caps)
                self.conn.queue(irc.line("CAP", target, "ACK", params[1], prefix=SERVER,
                                         trailing=True))
            else:
                self.conn.queue(irc.line("CAP", target, "NAK", params[1], prefix=SERVER,
                                         trailing=True))
        elif sub == "END":
            self.negotiating = False
            self._register(room)
        else:
            self.conn.queue(self._numeric(410, sub, "Invalid CAP command"))

    def _pass(self, room, params) -> None:
        if self.phase != NEW:
            self.conn.queue(self._numeric(462, "You may not reregister"))
            return
        self.password = params[0] or None

    def _user(self, room, params) -> None:
        if self.phase != NEW:
            self.conn.queue(self._numeric(462, "You may not reregister"))
            return
        if not self._spend(1, "USER"):
            return
        self.user = params[0]
        self.realname = params[3][:100]
        self._register(room)

    def _nick(self, room, params) -> None:
        if not self._spend(1, "NICK"):
            return
        wanted = params[0]
        if self.phase == NEW:
            self.nick = wanted
            self._register(room)
            return
        if wanted == self.nick:
            return
        if self.phase == IN_CLASS:
            self.conn.queue(self._numeric(
                447, wanted, f"Nicknames stay the same during the lesson; to change it, "
                             f"/part {self.channel}, /nick {wanted}, /join {self.channel}."))
            return
        try:
            valid = nicks.validate(wanted)   # out of the class: the next JOIN checks the rest
        except ProtocolError as refusal:
            self.conn.queue(self._numeric(432, wanted, refusal.message))
            return
        self.conn.queue(irc.line("NICK", valid, prefix=prefix(self.nick)))
        self.nick = valid

    def _register(self, room) -> None:
        if self.phase != NEW or self.negotiating or not self.nick or self.user is None:
            return
        self._to_room(room, Login(self.nick, self.password), "LOGIN", self.nick)

    def _oper(self, room, params) -> None:
        if self.phase != IN_CLASS:
            self.conn.queue(self._numeric(442, self.channel, "You're not on that channel"))
            return
        if self.conn.admin:
            self.conn.queue(self._numeric(381, "You are already an admin."))
            return
        # The room has no "become admin": leave and come back with the password (the
        # class sees the user leave and come back as an admin), or without it if wrong.
        self._leave(room, "OPER", "")
        self._to_room(room, Login(self.nick, params[1]), "OPER", self.nick)
        if self.phase == IN_CLASS:
            self.password = params[1]          # a PART and JOIN keep the admin an admin
        elif not self.conn.closing:
            self._to_room(room, Login(self.nick, self.password), "REJOIN", self.channel)

    # the channel

    def _join(self, room, params) -> None:
        for name in params[0].split(","):
            if name == "0":
                self._part(room, (self.channel,), doing="JOIN 0")
            elif not self._is_channel(name):
                self._no_such_channel(name)
            elif self.phase == PARTED:
                self._to_room(room, Login(self.nick, self.password), "JOIN", self.channel)
            # already in the class: nothing to do, as on any server

    def _part(self, room, params, doing: str = "PART") -> None:
        for name in params[0].split(","):
            if not self._is_channel(name):
                self._no_such_channel(name)
            elif self.phase != IN_CLASS:
                self.conn.queue(self._numeric(442, name, "You're not on that channel"))
            else:
                reason = params[1] if len(params) > 1 else ""
                self._leave(room, doing, reason)

    def _leave(self, room, doing: str, reason: str) -> None:
        """Out of the room, still connected: the room's logout, minus the closing."""
        self._to_room(room, Logout(), doing, reason)
        conn = self.conn
        # The room closes a connection that logs out; PART keeps it, so it is opened
        # again here, before the loop sees it closing.
        conn.closing = False
        conn.deadline = float("inf")
        conn.nick = None
        conn.admin = False
        self.phase = PARTED

    def _quit(self, room, params) -> None:
        reason = params[0] if params else ""
        if self.phase == IN_CLASS:
            self._to_room(room, Logout(), "QUIT", reason)
        else:
            self.conn.queue(irc.line("ERROR", f"Closing Link: {self.nick or '*'} "
                                              f"(Quit: {reason or 'Bye'})"))
            self.conn.close_after_output()

    # talking

    def _privmsg(self, room, params, doing: str = "PRIVMSG") -> None:
        if len(params) < 2 or not params[1]:
            if doing == "PRIVMSG":
                self.conn.queue(self._numeric(411, "No recipient given (PRIVMSG)")
                                if not params else self._numeric(412, "No text to send"))
            return
        text = params[1]
        if text.startswith("\x01"):
            body = text.strip("\x01")
            if not body.upper().startswith("ACTION ") or doing == "NOTICE":
                self._spend(1, doing)    # other CTCPs (VERSION, PING, DCC …) stop here
                return
            text = ME_PREFIX + body[len("ACTION "):]
        text = irc.strip_formatting(text)
        for target in params[0].split(",")[:MAX_TARGETS]:
            if self._is_channel(target):
                if self.phase != IN_CLASS:
                    if doing == "PRIVMSG":
                        self.conn.queue(self._numeric(404, target, f"You are not in the "
                                                      f"class; /join {self.channel} first."))
                    continue
                self._to_room(room, Say(text), doing, target)
            elif target.startswith(("#", "&")):
                if doing == "PRIVMSG":     # 401 here, as ngIRCd answers
                    self.conn.queue(self._numeric(401, target, f"No such nick or channel; "
                                                  f"the class is {self.channel}"))
            else:
                self._to_room(room, Say(text, to=target), doing, target)
                member = channel_of(room, self.channel).member(target)
                if member is not None and member.away and doing == "PRIVMSG":
                    self.conn.queue(self._numeric(301, member.nick, member.away))

    def _notice_command(self, room, params) -> None:
        self._privmsg(room, params, doing="NOTICE")

    # questions

    def _ping(self, room, params) -> None:
        if not params:
            self.conn.queue(self._numeric(409, "No origin specified"))
            return
        self._to_room(room, Ping(params[-1][:100]), "PING")

    def _pong_in(self, room, params) -> None:
        self.pinged_at = None

    def _names_command(self, room, params) -> None:
        if params and not self._is_channel(params[0].split(",")[0]):
            self.conn.queue(self._numeric(366, params[0], "End of /NAMES list."))
            return
        if self.phase != IN_CLASS:
            self.conn.queue(self._numeric(366, self.channel, "End of /NAMES list."))
            return
        self._to_room(room, AskUsers(), "NAMES")

    def _who_command(self, room, params) -> None:
        mask = params[0] if params else "*"
        if self.phase != IN_CLASS or (mask.startswith("#") and not self._is_channel(mask)):
            self.conn.queue(self._numeric(315, mask, "End of /WHO list."))
            return
        self._to_room(room, AskUsers(), "WHO", mask)

    def _whois(self, room, params) -> None:
        if not self._spend(2, "WHOIS"):
            return
        wanted = params[-1].split(",")[0]
        key = nicks.key(wanted)
        nick = next((n for n in room.users if nicks.key(n) == key), None)
        if nick is None:
            self.conn.queue(self._numeric(401, wanted, "No such nick/channel")
                            + self._numeric(318, wanted, "End of /WHOIS list."))
            return
        member = channel_of(room, self.channel).member(nick)
        admin = nick in room.admins
        parts = [self._numeric(311, nick, nick, USER_HOST, "*",
                               member.realname if member else "classroom app"),
                 self._numeric(319, nick, ("@" if admin else "") + self.channel),
                 self._numeric(312, nick, SERVER, "The classroom chat")]
        if admin:
            parts.append(self._numeric(313, nick, "is the teacher (an admin)"))
        if member is not None and member.away:
            parts.append(self._numeric(301, nick, member.away))
        parts.append(self._numeric(318, nick, "End of /WHOIS list."))
        self.conn.queue(b"".join(parts))

    def _whowas(self, room, params) -> None:
        self.conn.queue(self._numeric(406, params[0], "There was no such nickname")
                        + self._numeric(369, params[0], "End of WHOWAS"))

    def _ison(self, room, params) -> None:
        if not self._spend(2, "ISON"):
            return
        online = {nicks.key(n): n for n in room.users}
        found = [online[nicks.key(n)] for p in params for n in p.split()
                 if nicks.key(n) in online]
        self.conn.queue(self._numeric(303, " ".join(found[:50])))

    def _userhost(self, room, params) -> None:
        if not self._spend(2, "USERHOST"):
            return
        online = {nicks.key(n): n for n in room.users}
        admins = set(room.admins)
        channel = channel_of(room, self.channel)
        replies = []
        for wanted in params[:5]:
            nick = online.get(nicks.key(wanted))
            if nick is not None:
                member = channel.member(nick)
                away = "-" if member is not None and member.away else "+"
                replies.append(f"{nick}{'*' if nick in admins else ''}={away}{nick}@{USER_HOST}")
        self.conn.queue(self._numeric(302, " ".join(replies)))

    def _away(self, room, params) -> None:
        if not self._spend(1, "AWAY"):
            return
        self.away = params[0][:AWAYLEN] if params and params[0] else None
        self.conn.queue(self._numeric(306, "You have been marked as being away")
                        if self.away else self._numeric(305, "You are no longer marked as "
                                                             "being away"))

    def _list(self, room, params) -> None:
        if not self._spend(1, "LIST"):
            return
        topic = channel_of(room, self.channel).topic
        self.conn.queue(self._numeric(321, "Channel", "Users  Name")
                        + self._numeric(322, self.channel, str(len(room.users)), topic)
                        + self._numeric(323, "End of /LIST"))

    def _motd_command(self, room, params) -> None:
        if self._spend(1, "MOTD"):
            self.conn.queue(self._motd())

    def _topic(self, room, params) -> None:
        if not self._spend(1, "TOPIC"):
            return
        name = params[0]
        if not self._is_channel(name):
            self._no_such_channel(name)
            return
        channel = channel_of(room, self.channel)
        if len(params) == 1:
            if not channel.topic:
                self.conn.queue(self._numeric(331, self.channel, "No topic is set"))
            else:
                self.conn.queue(self._numeric(332, self.channel, channel.topic)
                                + irc.numeric(SERVER, 333, self.nick, self.channel,
                                              channel.topic_by, str(channel.topic_at // 1000)))
            return
        if self.phase != IN_CLASS:
            self.conn.queue(self._numeric(442, self.channel, "You're not on that channel"))
            return
        if not self.conn.admin:
            self.conn.queue(self._numeric(482, self.channel, "Only the teacher sets the "
                                                             "topic"))
            return
        topic = irc.strip_formatting(params[1])[:TOPICLEN].strip()
        channel.topic, channel.topic_by, channel.topic_at = topic, self.nick, room.now_ms()
        change = irc.line("TOPIC", self.channel, topic, prefix=prefix(self.nick),
                          trailing=True)
        for member in channel.live_members():
            member.conn.queue(change)
        # Everyone else learns it as the teacher's words (it is in the transcript too).
        if topic:
            self._to_room(room, Say(f"The topic is now: {topic}"), "TOPIC", self.channel)

    def _mode(self, room, params) -> None:
        if not self._spend(1, "MODE"):
            return
        target = params[0]
        if not target.startswith(("#", "&")):
            if nicks.key(target) != nicks.key(self.nick or ""):
                self.conn.queue(self._numeric(502, "Cannot change mode for other users"))
            elif len(params) > 1:
                self._user_mode(params[1])
            else:
                self.conn.queue(self._numeric(221, "+" + self.modes))
            return
        if not self._is_channel(target):
            self._no_such_channel(target)
            return
        if len(params) == 1:
            modes = "+nt" + ("m" if self.order.muted_all else "")
            self.conn.queue(self._numeric(324, self.channel, modes))
            return
        self._channel_modes(room, params[1], list(params[2:]))

    def _user_mode(self, change: str) -> None:
        adding, modes = True, set(self.modes)
        for char in change:
            if char in "+-":
                adding = char == "+"
            elif char == "i":
                (modes.add if adding else modes.discard)(char)
        self.modes = "".join(sorted(modes))
        self.conn.queue(irc.line("MODE", self.nick, change, prefix=prefix(self.nick),
                                 trailing=True))

    def _channel_modes(self, room, change: str, args: list[str]) -> None:
        lists = {"b": (368, "End of channel ban list"), "e": (349, "End of channel "
                 "exception list"), "I": (347, "End of channel invite list")}
        if change.lstrip("+") in lists and not args:
            number, text = lists[change.lstrip("+")]
            self.conn.queue(self._numeric(number, self.channel, text))
            return
        if not self.conn.admin:
            self.conn.queue(self._numeric(482, self.channel, "Only the teacher changes the "
                                                             "class's modes"))
            return
        adding = True
        for char in change:
            if char in "+-":
                adding = char == "+"
            elif char == "m":
                self._to_room(room, Mute() if adding else Unmute(), "MODE", self.channel)
            elif char == "v" and args:
                nick = args.pop(0)
                self._to_room(room, Unmute(nick) if adding else Mute(nick), "MODE", nick)
            elif char in "nt":
                pass                              # always set: nothing to change
            else:
                self.conn.queue(self._numeric(472, char, "is not a mode of the class: +m "
                                              "mutes the class, -v NICK mutes one student"))

    # the teacher

    def _kick(self, room, params) -> None:
        if not self._is_channel(params[0]):
            self._no_such_channel(params[0])
            return
        reason = params[2][:KICKLEN] if len(params) > 2 and params[2] else None
        if reason is not None and nicks.key(reason) == nicks.key(self.nick or ""):
            reason = None            # clients put the kicker's nick when no reason is given
        for nick in params[1].split(",")[:MAX_TARGETS]:
            self._to_room(room, Kick(nick, reason), "KICK", nick)

    def _kill(self, room, params) -> None:
        reason = params[1] if len(params) > 1 and params[1] else None
        self._to_room(room, Kick(params[0], reason, minutes=0), "KILL", params[0])

    def _die(self, room, params) -> None:
        self._to_room(room, Down(params[0] if params else None), "DIE")

    def _mute_command(self, room, params) -> None:
        self._to_room(room, Mute(params[0] if params else None), "MUTE",
                      params[0] if params else self.channel)

    def _unmute_command(self, room, params) -> None:
        self._to_room(room, Unmute(params[0] if params else None), "UNMUTE",
                      params[0] if params else self.channel)

    def _slow(self, room, params) -> None:
        try:
            seconds = float(params[0])
        except ValueError:
            seconds = -1
        if not 0 <= seconds <= 3600:
            self.conn.queue(self._numeric(461, "SLOW", "SLOW SECONDS: 0 (off) to 3600"))
            return
        self._to_room(room, Slow(seconds), "SLOW")

    def _bans(self, room, params) -> None:
        self._to_room(room, AskBans(), "BANS")

    def _unban(self, room, params) -> None:
        self._to_room(room, Unban(params[0]), "UNBAN", params[0])


_BYE_WORDS = {"timeout": "Registration timed out", "dropped": "SendQ exceeded: you read "
              "too slowly", "logout": "Bye", "kicked": "Kicked"}

_BEFORE_REGISTRATION = frozenset({"CAP", "NICK", "USER", "PASS", "PING", "PONG", "QUIT"})

_MIN_PARAMS = {"CAP": 1, "NICK": 1, "USER": 4, "PASS": 1, "OPER": 2, "JOIN": 1, "PART": 1,
               "PRIVMSG": 0, "NOTICE": 0, "KICK": 2, "KILL": 1, "TOPIC": 1, "MODE": 1,
               "WHOIS": 1, "WHOWAS": 1, "ISON": 1, "USERHOST": 1, "SLOW": 1, "UNBAN": 1}

_COMMANDS = {
    "CAP": Irc._cap, "PASS": Irc._pass, "NICK": Irc._nick, "USER": Irc._user,
    "OPER": Irc._oper, "JOIN": Irc._join, "PART": Irc._part, "QUIT": Irc._quit,
    "PRIVMSG": Irc._privmsg, "NOTICE": Irc._notice_command, "PING": Irc._ping,
    "PONG": Irc._pong_in, "NAMES": Irc._names_command, "WHO": Irc._who_command,
    "WHOIS": Irc._whois, "WHOWAS": Irc._whowas, "ISON": Irc._ison,
    "USERHOST": Irc._userhost, "AWAY": Irc._away, "LIST": Irc._list, "MOTD": Irc._motd_command,
    "TOPIC": Irc._topic, "MODE": Irc._mode, "KICK": Irc._kick, "KILL": Irc._kill,
    "DIE": Irc._die, "MUTE": Irc._mute_command, "UNMUTE": Irc._unmute_command,
    "SLOW": Irc._slow, "BANS": Irc._bans, "UNBAN": Irc._unban,
}

_RENDER = {
    Welcome: Irc._welcome, UserList: Irc._user_list, RoomState: Irc._room_state,
    Bye: Irc._bye, Pong: Irc._pong_out, Error: Irc._error,
    BanList: Irc._ban_list,
}

# (what was being done, the room's error code) -> (numeric, whether `what` goes first).
# ("", code) is the answer whatever was being done.
_ERROR_NUMERICS = {
    ("LOGIN", "nick_invalid"): (432, "what"), ("LOGIN", "nick_taken"): (433, "what"),
    ("JOIN", "nick_invalid"): (432, "what"), ("JOIN", "nick_taken"): (433, "what"),
    ("LOGIN", "bad_password"): (464, None), ("LOGIN", "locked_out"): (464, None),
    ("OPER", "bad_password"): (464, None), ("OPER", "locked_out"): (464, None),
    ("", "banned"): (465, None), ("", "server_full"): (465, None),
    ("", "already_logged_in"): (462, None),
    ("PRIVMSG", "no_such_user"): (401, "what"), ("PRIVMSG", "muted"): (404, "what"),
    ("PRIVMSG", "rate_limited"): (404, "what"), ("PRIVMSG", "empty_message"): (412, None),
    ("PRIVMSG", "message_too_long"): (404, "what"), ("PRIVMSG", "not_logged_in"): (404, "what"),
    ("", "no_such_user"): (401, "what"),
    ("KICK", "forbidden"): (482, "channel"), ("MODE", "forbidden"): (482, "channel"),
    ("MUTE", "forbidden"): (482, "channel"), ("UNMUTE", "forbidden"): (482, "channel"),
    ("", "forbidden"): (481, None),
    ("", "rate_limited"): (263, "command"),
}
