#!/usr/bin/env python3
"""Start the classroom chat server: `python run_server.py` (see --help)."""

import argparse
import logging
import os
import secrets
import signal
import sys

from server.lan import lan_addresses
from server.loop import ChatServer
from server.settings import Settings

DEFAULTS = Settings()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Classroom LAN chat server. Students connect with run_client.py "
                    "or `nc HOST PORT`.")
    add = parser.add_argument
    add("--host", default=DEFAULTS.host, help="address to listen on (default: %(default)s, "
        "every interface)")
    add("--port", type=int, default=DEFAULTS.port, help="TCP port (default: %(default)s)")
    add("--admin-password", default=os.environ.get("CHAT_ADMIN_PASSWORD", ""),
        help="the admin password (default: $CHAT_ADMIN_PASSWORD, else a random one, printed)")
    add("--history", type=int, default=DEFAULTS.history,
        help="public messages kept for late joiners (default: %(default)s)")
    add("--rate-limit", type=float, default=DEFAULTS.rate_limit,
        help="messages a second each client may send, 0 for no limit (default: %(default)s)")
    add("--rate-burst", type=int, default=DEFAULTS.rate_burst,
        help="messages a client may send at once before the rate applies "
             "(default: %(default)s)")
    add("--max-clients", type=int, default=DEFAULTS.max_clients,
        help="open connections at most (default: %(default)s)")
    add("--max-frame", type=int, default=DEFAULTS.max_frame,
        help="bytes in one line, newline included (default: %(default)s)")
    add("--max-message", type=int, default=DEFAULTS.max_message_chars,
        help="characters in one message (default: %(default)s)")
    add("--max-output", type=int, default=DEFAULTS.max_output,
        help="unread bytes held for one client before it is dropped (default: %(default)s)")
    add("--login-timeout", type=float, default=DEFAULTS.login_timeout,
        help="seconds a connection has to log in (default: %(default)s)")
    add("--shutdown-grace", type=float, default=DEFAULTS.shutdown_grace,
        help="seconds to deliver the shutdown notice (default: %(default)s)")
    add("--log-level", default="info", choices=["debug", "info", "warning", "error"],
        help="how much to log (default: %(default)s)")
    return parser.parse_args(argv)


def raise_open_files_limit() -> None:
    """Every client is a file descriptor; the default soft limit is often 1024."""
    try:
        import resource
    except ImportError:
        return  # Windows: no such limit to raise
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass  # not allowed here: run with the limit we have


class StopOnSignal:
    """SIGINT and SIGTERM do what `down server` does, even if they come very early."""

    def __init__(self):
        self.server = None
        self.requested = False

    def __call__(self, signum, frame) -> None:
        self.requested = True
        if self.server is not None:
            self.server.request_shutdown("server", "")

    def attach(self, server: ChatServer) -> None:
        self.server = server
        if self.requested:
            server.request_shutdown("server", "")


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)-7s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    password = args.admin_password or secrets.token_urlsafe(9)
    settings = Settings(
        host=args.host, port=args.port, admin_password=password, history=args.history,
        rate_limit=args.rate_limit, rate_burst=args.rate_burst,
        max_clients=args.max_clients, max_frame=args.max_frame,
        max_message_chars=args.max_message, max_output=args.max_output,
        login_timeout=args.login_timeout, shutdown_grace=args.shutdown_grace)
    raise_open_files_limit()
    on_signal = StopOnSignal()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    try:
        server = ChatServer(settings)
    except OSError as error:
        print(f"Cannot listen on {args.host}:{args.port}: {error.strerror}. "
              f"Is another server running there? Try --port.", file=sys.stderr)
        return 1
    on_signal.attach(server)
    print_banner(settings, server.port, generated=not args.admin_password)
    server.serve_forever()
    logging.getLogger("server").info("server stopped")
    return 0


def print_banner(settings: Settings, port: int, generated: bool) -> None:
    print(f"Classroom chat server listening on {settings.host}:{port}")
    if settings.host in ("0.0.0.0", "::", ""):
        addresses = lan_addresses()
        if addresses:
            print("Students connect to:")
            for address in addresses:
                print(f"    {address}  port {port}")
        else:
            print("No LAN address found: only this machine can connect "
                  f"(localhost port {port}).")
    if generated:
        print(f"Admin password (generated): {settings.admin_password}")
    print("Stop with Ctrl+C; everyone is told the server is going down.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
