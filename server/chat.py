"""The chat itself: users, routing, history, admin, resume and order. No sockets here.

The loop hands each decoded command to `ChatRoom.handle` together with the client
that sent it. A client is anything with the attributes of `Client` below; the room
queues events on clients and marks them for closing, and the loop does the I/O.

Resume (docs/protocol.md, "Resume"): every room event (msg, joined, left) gets the
next `seq` and goes into a short event log. When a resumable user's link dies, an
`Away` stands in for the connection (it receives nothing; the log keeps what it
misses) until the user comes back with the session's secret or the grace ends.
"""

import bisect
import hmac
import logging
import secrets
import time
from collections import deque
from typing import Protocol

from protocol import SERVER_NAME, auth, errors, nicks
from protocol.errors import ProtocolError
from protocol.events import (
    AskBans, AskChallenge, AskUsers, AskWhoami, Ban, BanList, Bye, Challenge, Down, Error, Help, HelpText,
    Identity, Joined, Kick, Left, Login, Logout, Message, Mute, Notice, Ping, Pong,
    RoomState, Say, Shutdown, Slow, Unban, Unmute, UserList, Welcome,
)
from protocol.messages import clean_text
from protocol.text_codec import HELP_LINES
from server.guard import PasswordGuard
from server.outgoing import Batch, Outgoing
from server.settings import Settings
from server.store import BanRow

log = logging.getLogger(__name__)

# What a command costs from a connection's work budget (Settings.command_rate). A `msg`
# has its own budget (the rate limit); a user list costs more the longer it is.
_WORK = {Login: 3, AskChallenge: 2, AskUsers: 1, AskWhoami: 1, Ping: 1, Help: 2, Logout: 1, Down: 1,
         Kick: 1, AskBans: 2, Unban: 1, Mute: 1, Unmute: 1, Slow: 1}
USERS_PER_WORK_UNIT = 200

EVENT_LOG_MAX = 50_000        # room events kept for resuming clients, at most
RECENT_CIDS_MAX = 50_000      # (sender, cid) pairs remembered for exactly-once, at most


class Client(Protocol):
    nick: str | None      # set by the room at login
    admin: bool
    ip: str               # for the admin lock-out and bans, which are per address
    tag: str              # "ip:port/nick" for the log
    session: "Session | None"   # set by the room for a resumable login
    closing: bool

    def send(self, outgoing: Outgoing) -> None: ...
    def send_answer(self, outgoing: Outgoing) -> None: ...   # a big answer: welcome, users
    def close_after_output(self) -> None: ...
    def may_send_message(self) -> bool: ...  # the rate limit


class Session:
    """A resumable login: proven by `token` alone, alive until logout, kick or grace end."""

    __slots__ = ("token", "key", "start_seq", "expires")

    def __init__(self, key: str, start_seq: int):
        self.token = secrets.token_urlsafe(18)
        self.key = key
        self.start_seq = start_seq    # events up to here came before this login
        self.expires: float | None = None   # while away: when the grace ends


class Away:
    """Stands in for a resumable user whose link died: listed, sent nothing."""

    closing = True                    # so every send path skips it
    dialect = None

    def __init__(self, client: Client):
        self.nick, self.admin, self.ip = client.nick, client.admin, client.ip
        self.tag = f"{client.tag} (away)"
        self.session = client.session

    def send(self, outgoing: Outgoing) -> None:
        pass

    send_answer = send

    def close_after_output(self) -> None:
        pass


class _LogEntry:
    __slots__ = ("seq", "outgoing", "only", "exclude", "at")

    def __init__(self, seq, outgoing, only, exclude, at):
        self.seq, self.outgoing, self.only, self.exclude, self.at = (
            seq, outgoing, only, exclude, at)

    def visible_to(self, key: str) -> bool:
        return (self.only is None or key in self.only) and key != self.exclude


def _clean_reason(reason: str | None) -> str:
    try:
        return clean_text(reason or "")
    except ProtocolError:
        return ""


_TOO_MANY_COMMANDS = Outgoing(Error(errors.RATE_LIMITED, "Too many commands at once; wait a "
                                                         "second and try again."))


def _core(skeleton: str) -> str:
    """A skeleton without `_ - .`: `Teacher_` and `T.eacher` must not pass for `Teacher`."""
    return skeleton.replace("_", "").replace("-", "").replace(".", "")


def send_to_each(outgoing: Outgoing, clients) -> None:
    for client in clients:
        client.send(outgoing)


class ChatRoom:
    """`send_to_all(outgoing, clients)` may be given a faster way to fan an event out.

    `store` (server/store.py) keeps history, ids, bans and admin nicks across restarts;
    None keeps nothing.
    """

    def __init__(self, settings: Settings, clock=time.time, monotonic=time.monotonic,
                 send_to_all=send_to_each, store=None, local_addresses=("127.0.0.1", "::1")):
        self.settings = settings
        self._send_to_all = send_to_all
        self._clock = clock
        self._monotonic = monotonic
        self._store = store
        self._users: dict[str, Client] = {}          # nick key -> client (or Away)
        self._sorted: list[tuple[str, str]] = []     # (sort key, nick), for user lists
        self._nicks: list[str] = []                  # the same nicks, in the same order
        self._sorted_admins: list[tuple[str, str]] = []
        self._skeletons: dict[str, str] = {}         # look-alike skeleton -> nick key online
        self._admin_skeletons: dict[str, str] = {}   # skeleton -> an admin's nick, ever
        self._admin_cores: dict[str, str] = {}       # the same without _ - . (Teacher_)
        self._history: deque[Message] = deque(maxlen=settings.history)
        self._next_id = 1
        self._seq = 0                                # the last room event's seq
        self._log: deque[_LogEntry] = deque()
        self._log_trimmed = 0                        # the largest seq dropped from the log
        self._sessions: dict[str, Session] = {}      # token -> session
        self._away: dict[str, Away] = {}             # key -> a user whose link died
        self._recent: dict[tuple[str, str], Message] = {}   # (sender key, cid) -> message
        self._bans: list[BanRow] = []
        self._muted: set[str] = set()                # keys
        self._muted_all = False
        self._slow = 0.0
        self._last_said: dict[str, float] = {}       # key -> monotonic, for slow mode
        self._guard = PasswordGuard(settings.admin_failures, settings.admin_window,
                                    settings.admin_ceiling, frozenset(local_addresses))
        self.shutdown_request: Shutdown | None = None
        self.closing = False                         # the server is going down: no lefts
        self.deliveries = 0                          # events queued, for the loop's budget
        self._user_list: Outgoing | None = None      # made once per change of membership
        self._lefts: list[Outgoing] = []             # `left`s not yet sent: see flush_lefts
        self._handlers = {
            Login: self._login, Say: self._say, AskUsers: self._users_list,
            AskWhoami: self._whoami, Logout: self._logout, Ping: self._ping,
            Down: self._down, Kick: self._kick, Help: self._help, AskBans: self._list_bans,
            Unban: self._unban, Mute: self._mute, Unmute: self._unmute, Slow: self._slow_mode,
            AskChallenge: self._challenge,
        }
        if store is not None:
            self._reload(store)

    def _reload(self, store) -> None:
        saved = store.load(self.settings.history, self._cid_memory())
        self._next_id = saved.next_id
        self._seq = saved.next_seq - 1
        self._log_trimmed = self._seq
        self._history.extend(saved.history)
        for sender_key, message in saved.recent:
            self._recent[(sender_key, message.cid)] = message
        now = self._clock()
        self._bans = [BanRow(b.nick_key, b.nick, b.ip, b.until, b.by, b.reason)
                      for b in saved.bans if b.until > now]
        for nick in saved.admin_nicks:
            self._note_admin_nick(nick)

    def _cid_memory(self) -> float:
        # Long enough for any resend: the link's death, the grace, and a restart.
        return max(600.0, 2 * (self.settings.resume_grace + self.settings.heartbeat_timeout))

    # ---- what the loop calls -------------------------------------------------

    def handle(self, client: Client, command) -> None:
        if self._lefts:
            self.flush_lefts()   # what happened before this command is told first
        kind = type(command)
        handler = self._handlers[kind]
        if kind is not Say:
            weight = _WORK[kind]
            if kind is AskUsers:
                weight += len(self._nicks) // USERS_PER_WORK_UNIT
            if not client.may_work(weight):
                client.send(_TOO_MANY_COMMANDS)
                return
        if client.nick is None and not isinstance(command, (Login, Ping, Help, AskChallenge)):
            self._refuse(client, errors.NOT_LOGGED_IN, "Log in first: send your nickname.")
            return
        try:
            handler(client, command)
        except ProtocolError as refusal:
            cid = command.cid if type(command) is Say else None
            client.send(Outgoing(Error(refusal.code, refusal.message, cid,
                                       refusal.until)))

    def connection_lost(self, client: Client, reason: str = "disconnected") -> None:
        """The connection ended without a logout (or was dropped): tell the others,
        unless it is a resumable user whose link died: then keep the nick for the grace."""
        if client.nick is None or self.closing:
            return
        key = nicks.key(client.nick)
        if self._users.get(key) is not client:
            return
        session = client.session
        if session is not None and reason == "disconnected":
            away = Away(client)
            self._users[key] = away
            self._away[key] = away
            session.expires = self._monotonic() + self.settings.resume_grace
            log.info("%s link lost; nick kept %.0f s for a resume", client.tag,
                     self.settings.resume_grace)
            return
        self._end_session(client)
        self._remove(client, reason)

    def tick(self) -> None:
        """Called by the loop a few times a second: grace ends, the log ages."""
        now = self._monotonic()
        for key, away in list(self._away.items()):
            if away.session.expires <= now:
                log.info("%s did not come back in %.0f s", away.tag,
                         self.settings.resume_grace)
                self._end_session(away)
                self._remove(away, "disconnected")
        horizon = now - self.settings.resume_grace - self.settings.heartbeat_timeout - 5
        entries = self._log
        while entries and (entries[0].at < horizon or len(entries) > EVENT_LOG_MAX):
            self._log_trimmed = entries.popleft().seq
        if self._recent:
            self._forget_old_cids()
        self.flush_lefts()

    def flush_lefts(self) -> None:
        """Send the `left`s queued since the last command, as one batch: when a whole class
        vanishes at once (a switch restarts), each user gets one buffer entry, not 2,000."""
        lefts, self._lefts = self._lefts, []
        if lefts:
            self._broadcast(lefts[0] if len(lefts) == 1 else Batch(lefts))

    def _broadcast(self, outgoing) -> None:
        if self._lefts:
            self.flush_lefts()
        self.deliveries += len(self._users)
        self._send_to_all(outgoing, self._users.values())

    def flush_store(self) -> None:
        if self._store is not None:
            self._store.flush()

    @property
    def users(self) -> list[str]:
        return list(self._nicks)

    @property
    def admins(self) -> list[str]:
        return [nick for _, nick in self._sorted_admins]

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # ---- logging in ------------------------------------------------------------

    def _login(self, client: Client, command: Login) -> None:
        if client.nick is not None:
            raise ProtocolError(errors.ALREADY_LOGGED_IN,
                                f"You are already logged in as {client.nick}.")
        nick = nicks.validate(command.nick)
        key = nicks.key(nick)
        if command.session is not None and self._resume(client, command, nick, key):
            return
        admin = bool(command.password) or command.proof is not None
        if not admin:
            if getattr(client, "reserve", False):
                self._refuse(client, errors.SERVER_FULL, "The server is full; the last seats "
                                                         "are kept for the teacher.")
                client.close_after_output()
                return
            self._check_bans(client, key)
        proof = None
        if admin:
            accepted, proof = self._admin_accepted(client, command, key)
            if not accepted:
                return
        self._check_free(nick, key, admin)
        self._add(client, nick, key, admin, command.resumable, proof)

    def _check_free(self, nick: str, key: str, admin: bool) -> None:
        skeleton = nicks.skeleton(nick)
        if admin:
            self._take_back(nick, key, skeleton)
        if key in self._users:
            raise ProtocolError(errors.NICK_TAKEN,
                                f"The nickname {nick} is taken; choose another.")
        twin = self._skeletons.get(skeleton)
        if twin is not None:
            raise ProtocolError(errors.NICK_TAKEN,
                                f"{nick} looks too much like {self._users[twin].nick}, who "
                                f"is online; choose another nickname.")
        teacher = (self._admin_skeletons.get(skeleton)
                   or self._admin_cores.get(_core(skeleton)))
        if teacher is not None and not admin:
            raise ProtocolError(errors.NICK_TAKEN,
                                f"{nick} is (or looks like) {teacher}, an admin's "
                                f"nickname; choose another.")

    def _take_back(self, nick: str, key: str, skeleton: str) -> None:
        """The admin password outranks a student who took the teacher's nick (or a
        look-alike of it) first: the student is let go with a sentence saying why."""
        holder = self._users.get(key) or self._users.get(self._skeletons.get(skeleton, ""))
        if holder is None or holder.admin:
            return
        log.warning("%s held %s, claimed with the admin password; letting it go",
                    holder.tag, nick)
        self._end_session(holder)
        why = f"{nick} is the teacher's nickname; join again under your own."
        self._remove(holder, "kicked", why)
        holder.send(Outgoing(Bye("kicked", why, 0)))
        holder.close_after_output()

    def _check_bans(self, client: Client, key: str) -> None:
        now = self._clock()
        for ban in self._bans:
            if ban.until > now and (ban.nick_key == key or ban.ip == client.ip):
                minutes = max(1, round((ban.until - now) / 60))
                raise ProtocolError(
                    errors.BANNED,
                    f"{ban.by} removed {ban.nick or 'a user at this address'} from the chat; "
                    f"you can join again in {minutes} minute{'s' if minutes > 1 else ''}.",
                    until=int(ban.until * 1000))

    def _challenge(self, client: Client, command: AskChallenge) -> None:
        client.challenge = auth.make_nonce()
        client.send(Outgoing(Challenge(client.challenge)))

    def _credential(self, client: Client, command: Login) -> tuple[bool, str | None]:
        """Is it the admin password (or a proof of it)? And the server's proof to send."""
        if command.proof is None:
            expected = self.settings.admin_password.encode("utf-8")
            return hmac.compare_digest(command.password.encode("utf-8"), expected), None
        nonce, client.challenge = client.challenge, None    # a nonce is good for one try
        if nonce is None or not command.cnonce:
            return False, None
        key = auth.password_key(self.settings.admin_password)
        expected = auth.client_proof(key, nonce, command.cnonce, command.nick)
        if not auth.proofs_match(expected, command.proof):
            return False, None
        return True, auth.server_proof(key, nonce, command.cnonce)

    def _admin_accepted(self, client: Client, command: Login,
                        key: str) -> tuple[bool, str | None]:
        """True for the admin password; refuses (and may close) otherwise."""
        now = self._monotonic()
        left = self._guard.locked(client.ip, key, now)
        code = errors.LOCKED_OUT
        if not left:
            accepted, proof = self._credential(client, command)
            if accepted:
                return True, proof
            verdict = self._guard.failed(client.ip, key, now)
            if verdict.first_of_burst:
                log.warning("%s: wrong admin password (further ones from this address are "
                            "logged only when they lock it)", client.tag)
            if verdict.ceiling_reached:
                log.warning("%d wrong admin passwords within %.0f s from all addresses: "
                            "admin logins from other machines wait until the minute is over",
                            self._guard.ceiling, self._guard.window)
            if not verdict.locked_for:
                raise ProtocolError(errors.BAD_PASSWORD, "Wrong admin password.")
            code, left = errors.BAD_PASSWORD, verdict.locked_for   # wrong, and the last
            log.warning("%s: %d wrong admin passwords within %.0f s; admin logins from "
                        "this address are locked for %.0f s", client.tag,
                        self._guard.failures, self._guard.window, left)
        seconds = max(1, round(left))
        what = "Wrong admin password. " if code == errors.BAD_PASSWORD else ""
        client.send(Outgoing(Error(
            code, f"{what}Too many wrong admin passwords: admin logins from here are "
                  f"locked for {seconds} more second{'s' if seconds > 1 else ''}. "
                  f"You can still join without the password.",
            until=self.now_ms() + seconds * 1000)))
        client.close_after_output()
        return False, None

    def _resume(self, client: Client, command: Login, nick: str, key: str) -> bool:
        """Take a session back; False when there is none to take (log in afresh)."""
        session = self._sessions.get(command.session)
        if session is None or session.key != key:
            return False
        old = self._users[key]
        self._away.pop(key, None)
        if not isinstance(old, Away):
            # The old link still looks alive to us: the user knows better.
            old.session = None
            old.close_after_output()
        session.expires = None
        client.nick, client.admin, client.session = old.nick, old.admin, session
        self._users[key] = client
        since = max(command.seq, session.start_seq)
        gap = since < self._log_trimmed
        client.send_answer(Outgoing(self._welcome(client, session, resumed=True, gap=gap)))
        for entry in self._log:
            if entry.seq > since and entry.visible_to(key):
                client.send(entry.outgoing)
        log.info("%s resumed (from seq %d)", client.tag, since)
        return True

    def _welcome(self, client: Client, session: Session | None, resumed=False,
                 gap=False, proof: str | None = None) -> Welcome:
        return Welcome(
            client.nick, tuple(self._nicks), client.admin,
            () if resumed else tuple(self._history), SERVER_NAME, tuple(self.admins),
            seq=self._seq, session=session.token if session else None,
            heartbeat=self.settings.heartbeat if session else 0,
            grace=self.settings.resume_grace if session else 0,
            resumed=resumed, gap=gap, muted=self._muted_nicks(), muted_all=self._muted_all,
            slow=self._slow, server_proof=proof)

    def _add(self, client: Client, nick: str, key: str, admin: bool, resumable: bool,
             proof: str | None = None) -> None:
        self._seq += 1
        self._user_list = None
        joined = Outgoing(Joined(nick, self.now_ms(), admin, self._seq))
        self._broadcast(joined)
        self._remember(joined, None, key)
        client.nick = nick
        client.admin = admin
        self._users[key] = client
        position = bisect.bisect_left(self._sorted, (key, nick))
        self._sorted.insert(position, (key, nick))
        self._nicks.insert(position, nick)
        self._skeletons[nicks.skeleton(nick)] = key
        if admin:
            bisect.insort(self._sorted_admins, (key, nick))
            if nicks.skeleton(nick) not in self._admin_skeletons:
                self._note_admin_nick(nick)
                if self._store is not None:
                    self._store.note_admin_nick(nick)
        session = None
        if resumable:
            session = Session(key, self._seq)
            self._sessions[session.token] = session
        client.session = session
        client.send_answer(Outgoing(self._welcome(client, session, proof=proof)))
        log.info("%s logged in%s", client.tag, " as admin" if admin else "")

    def _note_admin_nick(self, nick: str) -> None:
        skeleton = nicks.skeleton(nick)
        self._admin_skeletons[skeleton] = nick
        self._admin_cores[_core(skeleton)] = nick

    def _end_session(self, client) -> None:
        session = client.session
        if session is not None:
            self._sessions.pop(session.token, None)
            client.session = None
        if client.nick is not None:
            self._away.pop(nicks.key(client.nick), None)

    def _remove(self, client: Client, reason: str, message: str | None = None,
                by: str | None = None) -> None:
        key = nicks.key(client.nick)
        del self._users[key]
        position = bisect.bisect_left(self._sorted, (key, client.nick))
        del self._sorted[position]
        del self._nicks[position]
        self._skeletons.pop(nicks.skeleton(client.nick), None)
        self._muted.discard(key)
        self._last_said.pop(key, None)
        if client.admin:
            self._sorted_admins.remove((key, client.nick))
        self._seq += 1
        self._user_list = None
        left = Outgoing(Left(client.nick, reason, self.now_ms(), message, self._seq, by))
        self._lefts.append(left)
        self._remember(left, None, key)
        log.info("%s left (%s)", client.tag, reason)

    # ---- the room's events -------------------------------------------------------

    def _remember(self, outgoing: Outgoing, only, exclude) -> None:
        """Keep a room event for users who may resume (none: nobody could ask for it)."""
        if self._sessions:
            self._log.append(_LogEntry(self._seq, outgoing, only, exclude,
                                       self._monotonic()))
        if self._store is not None:
            self._store.note_seq(self._seq + 1)

    def _say(self, client: Client, command: Say) -> None:
        sender_key = nicks.key(client.nick)
        if command.cid is not None:
            original = self._recent.get((sender_key, command.cid))
            if original is not None:
                # A resend of a message we already delivered: confirm it to the sender only.
                client.send(Outgoing(original))
                return
        recipient = None
        if command.to is not None:
            recipient = self._users.get(nicks.key(command.to))
            if recipient is None:
                raise ProtocolError(errors.NO_SUCH_USER,
                                    f"Nobody called {command.to} is online.")
        if not client.admin:
            # A muted student may still ask the teacher (privately) for help.
            self._check_may_speak(client, sender_key,
                                  muted_ok=recipient is not None and recipient.admin)
        text = clean_text(command.text, self.settings.max_message_chars)
        if recipient is None:
            message = self._message(client, sender_key, None, text, command.cid)
            self._history.append(message)
            outgoing = Outgoing(message)
            self._broadcast(outgoing)
            self._remember(outgoing, None, None)
            return
        message = self._message(client, sender_key, recipient.nick, text, command.cid)
        outgoing = Outgoing(message)
        recipient.send(outgoing)
        if recipient is not client:
            client.send(outgoing)
        self._remember(outgoing, (sender_key, nicks.key(recipient.nick)), None)

    def _check_may_speak(self, client: Client, key: str, muted_ok: bool = False) -> None:
        if self._muted_all and not muted_ok:
            raise ProtocolError(errors.MUTED, "The teacher has muted the class: only admins "
                                              "can write now (privately to the teacher "
                                              "still works). Your message was not sent.")
        if key in self._muted and not muted_ok:
            raise ProtocolError(errors.MUTED, "The teacher has muted you (privately to the "
                                              "teacher still works); your message was "
                                              "not sent.")
        if self._slow:
            now = self._monotonic()
            last = self._last_said.get(key)
            if last is not None and now - last < self._slow:
                wait = max(1, round(self._slow - (now - last)))
                raise ProtocolError(errors.RATE_LIMITED,
                                    f"Slow mode: one message every {self._slow:g} s; "
                                    f"wait {wait} s. This one was not sent.")
        if not client.may_send_message():
            raise ProtocolError(errors.RATE_LIMITED,
                                "Slow down: too many messages; this one was not sent.")
        if self._slow:
            self._last_said[key] = self._monotonic()

    def _message(self, client: Client, sender_key: str, to: str | None, text: str,
                 cid: str | None) -> Message:
        self._seq += 1
        message = Message(self._next_id, self.now_ms(), client.nick, to, text, self._seq,
                          cid, client.admin)
        self._next_id += 1
        if cid is not None:
            self._recent[(sender_key, cid)] = message
        if self._store is not None:
            self._store.add_message(message, sender_key)
        return message

    def _forget_old_cids(self) -> None:
        oldest = self.now_ms() - self._cid_memory() * 1000
        recent = self._recent
        while recent:
            first = next(iter(recent))
            if recent[first].ts >= oldest and len(recent) <= RECENT_CIDS_MAX:
                return
            del recent[first]

    # ---- answers ---------------------------------------------------------------

    def _users_list(self, client: Client, command: AskUsers) -> None:
        if self._user_list is None:   # shared by every asker until someone joins or leaves
            self._user_list = Outgoing(UserList(tuple(self._nicks), tuple(self.admins)))
        client.send_answer(self._user_list)

    def _whoami(self, client: Client, command: AskWhoami) -> None:
        client.send(Outgoing(Identity(client.nick, client.admin)))

    def _logout(self, client: Client, command: Logout) -> None:
        self._end_session(client)
        self._remove(client, "quit")
        client.send(Outgoing(Bye("logout")))
        client.close_after_output()

    def _ping(self, client: Client, command: Ping) -> None:
        client.send(Outgoing(Pong(command.id)))

    def _help(self, client: Client, command: Help) -> None:
        client.send(Outgoing(HelpText(HELP_LINES)))

    # ---- the teacher -------------------------------------------------------------

    def _down(self, client: Client, command: Down) -> None:
        self._require_admin(client, "down server")
        reason = _clean_reason(command.reason)
        log.warning("%s shuts the server down: %r", client.tag, reason)
        self.shutdown_request = Shutdown(client.nick, reason)

    def _kick(self, client: Client, command: Kick) -> None:
        self._require_admin(client, "kick")
        target = self._online(command.nick)
        reason = _clean_reason(command.reason) or None
        minutes = self.settings.ban_minutes if command.minutes is None else command.minutes
        log.info("%s kicks %s for %g min: %r", client.tag, target.tag, minutes, reason or "")
        if minutes > 0:
            # The address too, but only a student's own: a lab machine or this one serves
            # several, and banning it would shut out classmates who did nothing.
            shared = target.ip in self._guard.local or any(
                user is not target and user.ip == target.ip for user in self._users.values())
            ban = BanRow(nicks.key(target.nick), target.nick, None if shared else target.ip,
                         self._clock() + minutes * 60, client.nick, reason)
            self._bans.append(ban)
            if self._store is not None:
                self._store.save_ban(ban)
        self._end_session(target)
        self._remove(target, "kicked", reason, by=client.nick)
        target.send(Outgoing(Bye("kicked", reason, minutes, client.nick)))
        target.close_after_output()

    def _list_bans(self, client: Client, command: AskBans) -> None:
        self._require_admin(client, "bans")
        now = self._clock()
        self._bans = [ban for ban in self._bans if ban.until > now]
        client.send_answer(Outgoing(BanList(tuple(
            Ban(b.nick, b.ip, int(b.until * 1000), b.by, b.reason) for b in self._bans))))

    def _unban(self, client: Client, command: Unban) -> None:
        self._require_admin(client, "unban")
        wanted = command.nick.strip()
        key = nicks.key(wanted)
        lifted = [b for b in self._bans if b.nick_key == key or b.ip == wanted]
        if not lifted:
            raise ProtocolError(errors.NO_SUCH_USER, f"No ban for {wanted}.")
        self._bans = [b for b in self._bans if b not in lifted]
        for ban in lifted:
            if self._store is not None:
                self._store.delete_ban(ban.nick_key, ban.ip)
        log.info("%s lifts the ban of %s", client.tag, wanted)
        self._notice(client, f"The ban of {wanted} is lifted.")

    def _mute(self, client: Client, command: Mute) -> None:
        self._set_muted(client, command.nick, True)

    def _unmute(self, client: Client, command: Unmute) -> None:
        self._set_muted(client, command.nick, False)

    def _set_muted(self, client: Client, nick: str | None, muted: bool) -> None:
        self._require_admin(client, "mute" if muted else "unmute")
        if nick is None:
            self._muted_all = muted
            text = (f"{client.nick} muted the class: only admins can write now." if muted
                    else f"{client.nick} unmuted the class: everyone can write again.")
            self._announce(text)
            return
        target = self._online(nick)
        key = nicks.key(target.nick)
        (self._muted.add if muted else self._muted.discard)(key)
        verb = "muted" if muted else "unmuted"
        target.send(Outgoing(Notice(f"{client.nick} {verb} you.", self.now_ms())))
        self._announce(f"{client.nick} {verb} {target.nick}.")

    def _slow_mode(self, client: Client, command: Slow) -> None:
        self._require_admin(client, "slow")
        self._slow = float(command.seconds)
        self._last_said.clear()
        self._announce(f"{client.nick} set slow mode: one message every {self._slow:g} s "
                       "for each student." if self._slow
                       else f"{client.nick} turned slow mode off.")

    def _announce(self, text: str) -> None:
        """A change of order: a sentence and the new state, to everyone."""
        log.info("%s", text)
        self._broadcast(Outgoing(Notice(text, self.now_ms())))
        self._broadcast(Outgoing(RoomState(self._muted_nicks(), self._muted_all, self._slow)))

    def _muted_nicks(self) -> tuple[str, ...]:
        return tuple(sorted((self._users[k].nick for k in self._muted),
                            key=nicks.key))

    def _notice(self, client: Client, text: str) -> None:
        client.send(Outgoing(Notice(text, self.now_ms())))

    def _online(self, nick: str) -> Client:
        target = self._users.get(nicks.key(nick))
        if target is None:
            raise ProtocolError(errors.NO_SUCH_USER, f"Nobody called {nick} is online.")
        return target

    def _require_admin(self, client: Client, what: str) -> None:
        if not client.admin:
            raise ProtocolError(errors.FORBIDDEN, f"Only an admin may use {what}.")

    def _refuse(self, client: Client, code: str, message: str) -> None:
        client.send(Outgoing(Error(code, message)))
