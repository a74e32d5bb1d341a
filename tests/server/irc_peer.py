"""A blocking IRC peer over a raw socket, for the server tests."""

import socket
import time

from protocol import irc
from tests.support import Peer, TIMEOUT


class IrcPeer(Peer):
    """Send IRC lines, read parsed ones; `register` logs in the way irssi does."""

    def __init__(self, port: int, source: str | None = None):
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                        source_address=(source, 0) if source else None)
        self._adopt(sock)
        self.seen: list[irc.Line] = []

    def say(self, *lines: str) -> None:
        self.send_raw("".join(line + "\r\n" for line in lines).encode())

    def message(self, timeout: float = TIMEOUT) -> irc.Line:
        raw = self.line(timeout)
        assert raw.endswith(b"\r"), raw              # every line ends in CR LF
        assert len(raw.split(b" ", 1)[1] if raw.startswith(b"@") else raw) + 1 <= 512, raw
        parsed = irc.parse(raw[:-1])
        self.seen.append(parsed)
        return parsed

    def until(self, command: str, timeout: float = TIMEOUT) -> list[irc.Line]:
        """Every line up to and including the first `command`; AssertionError if none."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            line = self.message(max(0.01, deadline - time.monotonic()))
            got.append(line)
            if line.command == command:
                return got

    def expect(self, command: str, timeout: float = TIMEOUT) -> irc.Line:
        return self.until(command, timeout)[-1]

    def register(self, nick: str, password: str | None = None, caps: str = "") -> list:
        lines = ["CAP LS 302"]
        if password:
            lines.append(f"PASS {password}")
        lines += [f"NICK {nick}", f"USER {nick} 0 * :{nick.title()} Real"]
        if caps:
            lines.append(f"CAP REQ :{caps}")
        lines.append("CAP END")
        self.say(*lines)
        self.nick = nick
        return self.until("366")

    def silent(self, seconds: float = 0.3) -> bool:
        """Nothing but PINGs of our own arrives: a PING/PONG round trip proves it."""
        token = f"check{time.monotonic_ns()}"
        self.say(f"PING :{token}")
        got = self.until("PONG")
        return len(got) == 1 and got[0].params[-1] == token
