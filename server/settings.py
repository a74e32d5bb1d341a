"""The server's limits: named defaults, each overridable from the command line."""

from dataclasses import dataclass

from protocol import MAX_FRAME_BYTES, MAX_MESSAGE_CHARS, PORT


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = PORT
    admin_password: str = ""
    history: int = 50                  # public messages kept for late joiners
    rate_limit: float = 20.0           # msg tokens refilled per second; 0 turns it off
    rate_burst: int = 40               # bucket size
    max_frame: int = MAX_FRAME_BYTES   # bytes in one line, newline included
    max_output: int = 1024 * 1024      # unsent bytes held for one client before it is dropped
    max_message_chars: int = MAX_MESSAGE_CHARS
    login_timeout: float = 30.0        # seconds to log in after connecting
    max_clients: int = 10_000          # open connections, logged in or not
    shutdown_grace: float = 3.0        # seconds to send out what is queued at shutdown
    admin_failures: int = 5            # wrong admin passwords from one address ...
    admin_window: float = 60.0         # ... within this many seconds lock that address out
