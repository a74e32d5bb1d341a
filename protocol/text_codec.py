"""The text dialect: flag commands in, one human-readable line per event out.

The same parser reads what a person types into the desktop client's input box.
"""

import time

from protocol import errors
from protocol.errors import ProtocolError
from protocol.events import (
    AskUsers, AskWhoami, Bye, Down, Error, Help, HelpText, Identity, Joined, Kick,
    Left, Login, Logout, Message, Pong, Say, Shutdown, UserList, Welcome,
)

HELP_LINES = (
    "Type a line and press Enter to talk to everyone. Flags:",
    "  -all TEXT            a message to everyone",
    "  -to NICK TEXT        a private message to NICK",
    "  -users               who is online",
    "  -whoami              who you are",
    "  -login NICK [PASS]   log in (PASS: the admin password)",
    "  -exit                log out and leave",
    "  -help                this list",
    "Admins also have:",
    "  -kick NICK [REASON]  disconnect NICK",
    "  down server [REASON] shut the server down",
)

USAGE = {
    "-all": "-all TEXT",
    "-to": "-to NICK TEXT",
    "-login": "-login NICK [PASSWORD]",
    "-kick": "-kick NICK [REASON]",
}

DOWN = "down server"


def parse_line(line: str, logged_in: bool = True):
    """A typed line -> a command. Before login, a plain line is the nickname."""
    if line == DOWN or line.startswith(DOWN + " "):
        return Down(_rest(line[len(DOWN):]))
    if not line.startswith("-"):
        return Login(line.strip()) if not logged_in else Say(line)
    flag, rest = _split(line)
    flag = flag.lower()
    parse = _FLAGS.get(flag)
    if parse is None:
        raise ProtocolError(errors.UNKNOWN_TYPE,
                            f"Unknown flag {flag[:30]}. Type -help for the list.")
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


def _kick(flag, rest):
    nick, reason = _two(flag, rest, second_required=False)
    return Kick(nick, reason)


_FLAGS = {
    "-all": _say_all,
    "-to": _say_to,
    "-users": lambda flag, rest: AskUsers(),
    "-whoami": lambda flag, rest: AskWhoami(),
    "-help": lambda flag, rest: Help(),
    "-exit": lambda flag, rest: Logout(),
    "-login": _login,
    "-kick": _kick,
}


# ---- events -> lines for people ----------------------------------------------

def clock(ts: int) -> str:
    """HH:MM in the local time of whoever formats it."""
    return time.strftime("%H:%M", time.localtime(ts / 1000))


def one_line(text: str) -> str:
    # One event a line: a message's own line breaks are shown, not obeyed.
    return text.replace("\r\n", "\n").replace("\n", " ⏎ ")


def format_message(event: Message) -> str:
    route = event.sender if event.to is None else f"{event.sender} -> {event.to}"
    return f"[{clock(event.ts)}] {route}: {one_line(event.text)}"


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
    text = {"logout": "Bye!", "kicked": "You were kicked by an admin",
            "timeout": "No login in time; bye", "dropped": "You were too slow to read; bye"}
    line = "* " + text.get(event.reason, f"Bye ({event.reason})")
    return line + (f": {one_line(event.message)}" if event.message else "")


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
}


def format_event(event) -> str:
    """An event as the line(s) a person on nc reads, without the final newline."""
    return _FORMATS[type(event)](event)


def encode_event(event) -> bytes:
    return (format_event(event) + "\n").encode("utf-8")
