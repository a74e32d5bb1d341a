"""The server's limits: named defaults, each overridable from the command line."""

from dataclasses import dataclass
from pathlib import Path

from protocol import MAX_FRAME_BYTES, MAX_MESSAGE_CHARS, PORT


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = PORT
    admin_password: str = ""
    history: int = 50                  # public messages kept for late joiners
    # A classroom default: a burst of five, then about one message a second, which is
    # what IRC networks allow. Admins are never limited.
    rate_limit: float = 1.0            # msg tokens refilled per second; 0 turns it off
    rate_burst: int = 5                # bucket size
    command_rate: float = 20.0         # work units a second for commands other than msg ...
    command_burst: int = 60            # ... at most this many at once (0 rate: no limit)
    max_frame: int = MAX_FRAME_BYTES   # bytes in one line a client sends, newline included
    max_output: int = 1024 * 1024      # unsent bytes held for one client before it is dropped
    max_message_chars: int = MAX_MESSAGE_CHARS
    login_timeout: float = 30.0        # seconds to log in after connecting
    max_clients: int = 10_000          # open connections, logged in or not
    admin_seats: int = 10              # more connections allowed, for admin logins only
    max_per_address: int = 20          # connections from one address (this machine: any)
    max_queued: int = 512 * 1024 * 1024   # unsent bytes for all clients together
    shutdown_grace: float = 3.0        # seconds to send out what is queued at shutdown
    admin_failures: int = 5            # wrong admin passwords from one address ...
    admin_window: float = 60.0         # ... within this many seconds lock that address out
    admin_ceiling: int = 30            # wrong admin passwords checked a window, server-wide
    # Resume after a dropped link (docs/protocol.md, "Resume").
    heartbeat: float = 20.0            # a resumable client pings at least this often ...
    heartbeat_misses: int = 3          # ... and is taken for gone after this many silent ones
    resume_grace: float = 120.0        # seconds a dropped user's nick and events are kept
    # Teachers keep order.
    ban_minutes: float = 10.0          # how long a kick keeps a nick and address out
    prompt_after: float = 1.0          # a silent new connection is told what to type
    request_timeout: float = 10.0      # seconds for an HTTP request head (slow senders)
    irc_channel: str = "#classroom"    # the room, as IRC clients see it (docs/protocol.md)
    # Persistence: None keeps nothing (tests, --no-store); run_server.py picks the
    # platform's data folder.
    data_dir: Path | None = None

    @property
    def heartbeat_timeout(self) -> float:
        return self.heartbeat * self.heartbeat_misses
