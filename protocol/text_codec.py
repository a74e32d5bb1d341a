"""The text dialect: flag commands in, one human-readable line per event out.

The same parser reads what a person types into the desktop client's input box.
"""

import re
import time

from protocol import errors
from protocol.errors import ProtocolError
from protocol.events import (
    AskBans, AskUsers, AskWhoami, BanList, Bye, Challenge, Down, Error, Help, HelpText, Identity,
    Joined, Kick, Left, Login, Logout, Message, Mute, Notice, Pong, RoomState, Say,
    Shutdown, Slow, Unban, Unmute, UserList, Welcome,
)

HELP_LINES = (
    "Type a line and press Enter to talk to everyone. Flags:",
    "  -all TEXT                 a message to everyone",
    "  -to NICK TEXT             a private message to NICK",
    "  -users                    who is online",
    "  -whoami                   who you are",
    "  -login NICK [PASS]        log in (PASS: the admin password)",
    "  -exit                     log out and leave",
    "  -help                     this list",
    "Admins also have:",
    "  -kick NICK [15m] [REASON] disconnect NICK and keep them out (10m unless given; 0m: no ban)",
    "  -bans, -unban NICK        list the bans, lift one",
    "  -mute NICK|all            mute one student, or the whole class",
    "  -unmute NICK|all          let them speak again",
    "  -slow SECONDS             one message per SECONDS for each student (0: off)",
    "  down server [REASON]      shut the server down",
)

USAGE = {
    "-all": "-all TEXT",
    "-to": "-to NICK TEXT",
    "-login": "-login NICK [PASSWORD]",
    "-kick": "-kick NICK [MINUTES like 15m] [REASON]",
    "-unban": "-unban NICK",
    "-mute": "-mute NICK|all",
    "-unmute": "-unmute NICK|all",
    "-slow": "-slow SECONDS",
}

DOWN = "down server"
PROMPT = ("* Welcome to the classroom chat. Type your nickname and press Enter "
          "(letters, digits, _ - . up to 24).")

# A flag is a dash and a letter: "-1/2 + 3/4", "- item" and "-3 is less" are messages.
_FLAG = re.compile(r"-[^\W\d_]")


def parse_line(line: str, logged_in: bool = True, admin: bool = False):
    """A typed line -> a command. Before login, a plain line is the nickname.

    `down server …` is the command only for an admin; anyone else says it to the class.
    """
    if admin and (line == DOWN or line.startswith(DOWN + " ")):
        return Down(_rest(line[len(DOWN):]))
    if not _FLAG.match(line):
        return Login(line.strip()) if not logged_in else Say(line)
    flag, rest = _split(line)
    flag = flag.lower()
    parse = _FLAGS.get(flag)
    if parse is None:
        raise ProtocolError(
            errors.UNKNOWN_TYPE,
            f"Unknown flag {flag[:30]}; -help lists them. To send this line as a message, "
            f"start it with -all: -all {line[:40]}")
    return parse(flag, rest)


def _split(text: str) -> tuple[str, str]:
    """First word and the rest, split at any run of white space."""
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def _rest(text):
    text = (text or "").strip()
    return text or None


def _usage(flag: str) -> ProtocolError:
    return ProtocolError(errors.BAD_FRAME, f"Usage: {USAGE[flag]}")


def _two(flag: str, rest: str, second_required: bool):
    first, second = _split(rest)
    if not first or (second_required and not second):
        raise _usage(flag)
    return first, second or None


def _say_all(flag, rest):
    if not rest:
        raise _usage(flag)
    return Say(rest)


def _say_to(flag, rest):
    nick, text = _two(flag, rest, second_required=True)
    return Say(text, nick)


def _login(flag, rest):
    nick, password = _two(flag, rest, second_required=False)
    return Login(nick, password)


_MINUTES = re.compile(r"(\d{1,6})(m|min)?$", re.IGNORECASE)


def _kick(flag, rest):
    nick, reason = _two(flag, rest, second_required=False)
    minutes = None
    if reason:
        first, after = _split(reason)
        found = _MINUTES.match(first)
        if found and (found.group(2) or not after):
            minutes, reason = float(found.group(1)), after or None
    return Kick(nick, reason, minutes)


def _one(flag, rest):
    nick, extra = _two(flag, rest, second_required=False)
    if extra:
        raise _usage(flag)
    return nick


def _everyone(nick: str):
    return None if nick.lower() in ("all", "everyone") else nick


def _slow(flag, rest):
    try:
        seconds = float(rest.rstrip("s"))
    except ValueError:
        raise _usage(flag) from None
    if not 0 <= seconds <= 3600:
        raise _usage(flag)
    return Slow(seconds)


_FLAGS = {
    "-all": _say_all,
    "-to": _say_to,
    "-users": lambda flag, rest: AskUsers(),
    "-whoami": lambda flag, rest: AskWhoami(),
    "-help": lambda flag, rest: Help(),
    "-exit": lambda flag, rest: Logout(),
    "-login": _login,
    "-kick": _kick,
    "-bans": lambda flag, rest: AskBans(),
    "-unban": lambda flag, rest: Unban(_one(flag, rest)),
    "-mute": lambda flag, rest: Mute(_everyone(_one(flag, rest))),
    "-unmute": lambda flag, rest: Unmute(_everyone(_one(flag, rest))),
    "-slow": _slow,
}


# ---- events -> lines for people ----------------------------------------------

def clock(ts: int) -> str:
    """HH:MM in the local time of whoever formats it."""
    return time.strftime("%H:%M", time.localtime(ts / 1000))


# Runs of spaces would let one line pose as several on an 80-column terminal.
_SPACES = re.compile(r"[ \t]{2,}")


def one_line(text: str) -> str:
    # A reason or a notice stays one line: its own line breaks are shown, not obeyed.
    return _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\n", " ⏎ "))


def format_message(event: Message) -> str:
    """`[09:01] alice: text`; the lines of a multi-line message after the first are
    indented under the text, so none can pass for a message of its own."""
    sender = f"{event.sender} (admin)" if event.admin else event.sender
    route = sender if event.to is None else f"{sender} -> {event.to}"
    prefix = f"[{clock(event.ts)}] {route}: "
    first, *more = [_SPACES.sub(" ", line) for line in event.text.splitlines() or [""]]
    indent = "\n" + " " * len(prefix)
    return prefix + first + "".join(indent + line for line in more)


def _left(event: Left) -> str:
    why = event.reason if not event.message else f"{event.reason}: {one_line(event.message)}"
    return f"* {event.nick} left ({why})"


def _welcome(event: Welcome) -> str:
    lines = [f"* Welcome, {event.nick}!" + (" You are an admin." if event.admin else "")]
    if event.history:
        count = len(event.history)
        lines.append(f"* Earlier in the chat ({count} message{'s' if count > 1 else ''}):")
        lines.extend(format_message(m) for m in event.history)
    lines.append(_online(event.users, event.admins))
    lines.append("* Type a message and press Enter to talk to everyone; -help lists the flags.")
    return "\n".join(lines)


def _online(users, admins=()) -> str:
    admins = set(admins)
    names = [f"{nick} (admin)" if nick in admins else nick for nick in users]
    return f"* Online ({len(users)}): {', '.join(names)}"


def _bye(event: Bye) -> str:
    kicker = f"by {event.by}" if event.by else "by an admin"
    text = {"logout": "Bye!", "kicked": f"You were kicked out {kicker}",
            "timeout": "You did not type a nickname in time; connect again to join",
            "dropped": "You were too slow to read; bye"}
    line = "* " + text.get(event.reason, f"Bye ({event.reason})")
    line += f": {one_line(event.message)}" if event.message else ""
    if event.reason == "kicked" and event.minutes:
        line += f" (you can join again in {event.minutes:.0f} minutes)"
    return line


def _shutdown(event: Shutdown) -> str:
    why = f": {one_line(event.reason)}" if event.reason else ""
    return f"* The server is shutting down (by {event.by}){why}"


_FORMATS = {
    Message: format_message,
    Welcome: _welcome,
    Joined: lambda e: f"* {e.nick} joined" + (" (admin)" if e.admin else ""),
    Left: _left,
    UserList: lambda e: _online(e.users, e.admins),
    Identity: lambda e: f"* You are {e.nick}" + (" (admin)" if e.admin else ""),
    Pong: lambda e: "* pong",
    Error: lambda e: f"! {e.code}: {e.message}",
    Bye: _bye,
    Shutdown: _shutdown,
    HelpText: lambda e: "\n".join(e.lines),
    Notice: lambda e: f"* {one_line(e.text)}",
    Challenge: lambda e: f"* challenge {e.nonce}",
    BanList: lambda e: _bans(e),
}


def _bans(event: BanList) -> str:
    if not event.bans:
        return "* No bans."
    lines = [f"* Bans ({len(event.bans)}):"]
    for ban in event.bans:
        who = " / ".join(x for x in (ban.nick, ban.ip) if x)
        why = f": {one_line(ban.reason)}" if ban.reason else ""
        lines.append(f"*   {who} until {clock(ban.until)} (by {ban.by}){why}")
    return "\n".join(lines)


def format_event(event) -> str:
    """An event as the line(s) a person on nc reads, without the final newline."""
    return _FORMATS[type(event)](event)


def encode_event(event) -> bytes:
    if type(event) is RoomState:
        return b""   # the notice that comes with it already says it, in words
    return (format_event(event) + "\n").encode("utf-8")
