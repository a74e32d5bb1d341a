#!/usr/bin/env python3
"""Start the classroom chat server: `python run_server.py` (see --help)."""

import argparse
import ipaddress
import logging
import math
import os
import secrets
import shlex
import signal
import socket
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path

from server import app_bundle
from server.datadir import database_path, default_data_dir, make_data_dir
from server.dialects.irc import CHANNELLEN
from server.lan import lan_addresses
from server.loop import ChatServer
from server.dialects.web import WebAssets
from server.settings import Settings
from server.store import Store, StoreError

DEFAULTS = Settings()
COMMAND = "python run_server.py"


class OneLineParser(argparse.ArgumentParser):
    """A wrong option is one line on stderr and exit status 2, never a usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parse_args(argv=None) -> argparse.Namespace:
    parser = OneLineParser(
        description="Classroom LAN chat server. Students join from a browser at "
                    "http://HOST:PORT/, the desktop app (run_client.py), `nc HOST PORT` "
                    "or an IRC client, all on the one port.")
    add = parser.add_argument
    add("--host", default=DEFAULTS.host, help="address to listen on (default: %(default)s, "
        "every interface; 127.0.0.1 lets only this machine in)")
    add("--port", type=int, default=DEFAULTS.port,
        help="TCP port, 0 for any free one (default: %(default)s)")
    add("--admin-password", default=None,
        help="the admin password; visible to other users in `ps`, so prefer "
             "$CHAT_ADMIN_PASSWORD (default: that variable, else the kept one, else a "
             "random one, printed once and kept)")
    add("--admin-password-file", metavar="FILE", default=None,
        help="read the admin password from the first line of FILE (not visible in `ps`)")
    add("--history", type=int, default=DEFAULTS.history,
        help="public messages shown to late joiners (default: %(default)s)")
    add("--rate-limit", type=float, default=DEFAULTS.rate_limit,
        help="messages a second each student may send, 0 for no limit; admins are "
             "exempt (default: %(default)s)")
    add("--rate-burst", type=int, default=DEFAULTS.rate_burst,
        help="messages a student may send at once before the rate applies "
             "(default: %(default)s)")
    add("--max-clients", type=int, default=DEFAULTS.max_clients,
        help="open connections at most (default: %(default)s)")
    add("--admin-seats", type=int, default=DEFAULTS.admin_seats,
        help="connections allowed past --max-clients for admin logins only "
             "(default: %(default)s)")
    add("--max-per-address", type=int, default=DEFAULTS.max_per_address,
        help="connections from one address; this machine's own are not limited "
             "(default: %(default)s)")
    add("--command-rate", type=float, default=DEFAULTS.command_rate,
        help="work a second each connection may ask for with commands other than "
             "messages (a ping is 1, a user list 1 per 200 users); 0 for no limit "
             "(default: %(default)s)")
    add("--max-queued", type=int, default=DEFAULTS.max_queued,
        help="unsent bytes for all slow readers together; past it the largest are "
             "dropped (default: %(default)s)")
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
    add("--heartbeat", type=float, default=DEFAULTS.heartbeat,
        help="seconds between the pings of a resumable client; silence for "
             f"{DEFAULTS.heartbeat_misses} of them ends its link (default: %(default)s)")
    add("--resume-grace", type=float, default=DEFAULTS.resume_grace,
        help="seconds a dropped user's nick and missed messages are kept for a resume "
             "(default: %(default)s)")
    add("--ban-minutes", type=float, default=DEFAULTS.ban_minutes,
        help="minutes a kick keeps a student out unless the admin says otherwise "
             "(default: %(default)s)")
    add("--prompt-after", type=float, default=DEFAULTS.prompt_after,
        help="seconds before a silent new connection is told what to type "
             "(default: %(default)s)")
    add("--irc-channel", default=DEFAULTS.irc_channel,
        help="the room's name for IRC clients (irssi, WeeChat, HexChat), which are "
             "joined to it at once (default: %(default)s)")
    add("--data-dir", default=None,
        help="folder where the lesson (history, bans, admin password) is kept "
             f"(default: {default_data_dir()})")
    add("--no-store", action="store_true",
        help="keep nothing: every start is a fresh lesson")
    add("--export", metavar="FILE",
        help="write the kept lesson's public messages to FILE (HTML if it ends in "
             ".html or .htm, else text) and exit")
    add("--since", metavar="HH:MM",
        help="with --export: only the messages since this time today")
    add("--show-password", action="store_true",
        help="print the kept admin password and exit")
    add("--log-level", default="info", choices=["debug", "info", "warning", "error"],
        help="how much to log (default: %(default)s)")
    return parser.parse_args(argv)


# (option, the value's test, what it must be)
_RULES = [
    ("history", lambda v: v >= 0, "0 or more"),
    ("rate_limit", lambda v: v >= 0, "0 (no limit) or more"),
    ("rate_burst", lambda v: v >= 1, "1 or more"),
    ("max_clients", lambda v: v >= 1, "1 or more"),
    ("admin_seats", lambda v: v >= 0, "0 or more"),
    ("max_per_address", lambda v: v >= 1, "1 or more"),
    ("command_rate", lambda v: v >= 0, "0 (no limit) or more"),
    ("max_queued", lambda v: v >= 1024 * 1024, "1048576 (1 MiB) or more"),
    ("max_frame", lambda v: v >= 64, "64 or more"),
    ("max_message", lambda v: v >= 1, "1 or more"),
    ("max_output", lambda v: v >= 1024, "1024 or more"),
    ("login_timeout", lambda v: v > 0, "more than 0"),
    ("shutdown_grace", lambda v: v >= 0, "0 or more"),
    ("heartbeat", lambda v: v > 0, "more than 0"),
    ("resume_grace", lambda v: v >= 0, "0 or more"),
    ("ban_minutes", lambda v: v >= 0, "0 (no ban) or more"),
    ("prompt_after", lambda v: v > 0, "more than 0"),
]


def option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, in one line; None if nothing."""
    if not 0 <= args.port <= 65535:
        return f"--port must be between 0 and 65535 (0: any free port), not {args.port}"
    for name, valid, wanted in _RULES:
        value = getattr(args, name)
        if not (math.isfinite(value) and valid(value)):
            return f"--{name.replace('_', '-')} must be {wanted}, not {value:g}"
    if args.no_store and (args.export or args.show_password or args.data_dir):
        other = ("--export" if args.export else "--show-password" if args.show_password
                 else "--data-dir")
        return f"--no-store keeps nothing, so {other} makes no sense with it"
    if args.since is not None:
        if not args.export:
            return "--since goes with --export"
        try:
            since_today(args.since)
        except ValueError:
            return f"--since wants a time of today as HH:MM, not {args.since!r}"
    if not irc_channel_ok(args.irc_channel):
        return (f"--irc-channel wants # and at most {CHANNELLEN - 1} more characters, "
                f"without spaces or commas, not {args.irc_channel!r}")
    if args.export or args.show_password:
        return None
    return host_problem(args.host)


def irc_channel_ok(name: str) -> bool:
    return (name.startswith("#") and 1 < len(name.encode("utf-8")) <= CHANNELLEN
            and not any(char in name for char in " ,:\x07") and name.isprintable())


def host_problem(host: str) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
    except (socket.gaierror, UnicodeError):
        return f"--host {host} is not an address or name this machine knows"
    except OSError as error:
        return (f"--host {host} is not an address of this machine ({error.strerror}); "
                "use 0.0.0.0 to listen on every interface")
    return None


def since_today(hh_mm: str) -> int:
    """HH:MM today, local time, as ms since the epoch."""
    clock = datetime.strptime(hh_mm, "%H:%M").time()
    return int(datetime.combine(datetime.now().date(), clock).timestamp() * 1000)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    """SIGINT, SIGTERM and SIGHUP (the teacher closed the terminal) do what `down server`
    does, even if they come very early."""

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
    problem = option_problem(args)
    if problem:
        print(f"run_server.py: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)-7s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    data_dir = None if args.no_store else (
        Path(args.data_dir).expanduser() if args.data_dir else default_data_dir())
    # Said again in the banner's hints, so they work as printed.
    data_option = f" --data-dir {shlex.quote(str(data_dir))}" if args.data_dir else ""
    if args.export or args.show_password:
        return read_kept(args, data_dir)
    if data_dir is not None:
        try:
            make_data_dir(data_dir)
        except OSError as error:
            print(f"run_server.py: cannot write to the data folder {data_dir} "
                  f"({error.strerror}); use --data-dir or --no-store", file=sys.stderr)
            return 2
    try:
        store = Store(database_path(data_dir) if data_dir else None)
    except StoreError as error:
        print(f"Cannot keep the lesson: {error}", file=sys.stderr)
        return 1
    try:
        return serve(args, store, data_dir, data_option)
    finally:
        store.close()


def serve(args: argparse.Namespace, store: Store, data_dir: Path | None,
          data_option: str) -> int:
    password, origin = admin_password(args, store, data_dir is not None)
    settings = Settings(
        host=args.host, port=args.port, admin_password=password, history=args.history,
        rate_limit=args.rate_limit, rate_burst=args.rate_burst,
        max_clients=args.max_clients, admin_seats=args.admin_seats,
        max_per_address=args.max_per_address, command_rate=args.command_rate,
        max_queued=args.max_queued, max_frame=args.max_frame,
        max_message_chars=args.max_message, max_output=args.max_output,
        login_timeout=args.login_timeout, shutdown_grace=args.shutdown_grace,
        heartbeat=args.heartbeat, resume_grace=args.resume_grace,
        ban_minutes=args.ban_minutes, prompt_after=args.prompt_after, data_dir=data_dir,
        irc_channel=args.irc_channel)
    raise_open_files_limit()
    on_signal = StopOnSignal()
    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is None:
            continue   # Windows has no SIGHUP
        signal.signal(signum, on_signal)
    web, download = web_assets(settings)
    try:
        server = ChatServer(settings, store=store, web=web)
    except OSError as error:
        print(f"Cannot listen on {args.host}:{args.port}: {error.strerror}. "
              f"Is another server running there? Try --port.", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as error:
        print(f"Cannot read the kept lesson in {data_dir} ({error}); move chat.sqlite3 "
              "away to start afresh, or use --data-dir", file=sys.stderr)
        return 1
    on_signal.attach(server)
    print_banner(settings, server.port, generated=origin == "generated",
                 kept_password=origin == "kept", data_option=data_option, download=download)
    server.serve_forever()
    logging.getLogger("server").info("server stopped")
    return 0


def web_assets(settings: Settings) -> tuple[WebAssets, bool]:
    """The browser's files and the desktop app to download (made now, before serving:
    the loop never waits for it). Whether the app is offered."""
    log = logging.getLogger("server")
    started = time.perf_counter()
    try:
        apps, source = app_bundle.apps_for_download()
    except OSError as error:
        log.warning("the desktop app cannot be offered for download: %s", error)
        return WebAssets(extra=app_bundle.web_extra(None)), False
    took = time.perf_counter() - started
    # One download is queued whole on its connection: it must fit under --max-output.
    size = len(apps[app_bundle.APP_NAME])
    if size + 4096 > settings.max_output:
        log.warning("the desktop app (%d bytes) is not offered for download: it is larger "
                    "than --max-output", size)
        return WebAssets(extra=app_bundle.web_extra(None)), False
    log.info("desktop app for download: %d bytes, %s, in %.0f ms", size, source,
             took * 1000)
    return WebAssets(extra=app_bundle.web_extra(apps)), True


def admin_password(args: argparse.Namespace, store: Store, keeping: bool) -> tuple[str, str]:
    """The password and where it came from: "given", "kept" or "generated"."""
    if args.admin_password:
        print("Warning: a password on the command line is visible to other users of this "
              "machine (in `ps`); prefer the CHAT_ADMIN_PASSWORD environment variable.",
              file=sys.stderr)
        return args.admin_password, "given"
    if args.admin_password_file:
        try:
            with open(args.admin_password_file, encoding="utf-8") as file:
                password = file.readline().strip()
        except OSError as error:
            sys.exit(f"run_server.py: cannot read --admin-password-file "
                     f"{args.admin_password_file}: {error.strerror}")
        if not password:
            sys.exit(f"run_server.py: {args.admin_password_file} holds no password "
                     "on its first line")
        return password, "given"
    if os.environ.get("CHAT_ADMIN_PASSWORD"):
        return os.environ["CHAT_ADMIN_PASSWORD"], "given"
    kept = store.admin_password()
    if kept:
        return kept, "kept"
    password = secrets.token_urlsafe(9)
    if keeping:
        store.set_admin_password(password)
    return password, "generated"


def read_kept(args: argparse.Namespace, data_dir: Path) -> int:
    """--export and --show-password: read the kept lesson (a server may be running)."""
    try:
        store = Store(database_path(data_dir), read_only=True)
    except StoreError as error:
        print(f"run_server.py: {error}", file=sys.stderr)
        return 1
    try:
        if args.show_password:
            password = store.admin_password()
            if password is None:
                print(f"run_server.py: no admin password is kept in {data_dir} (it was "
                      "given with CHAT_ADMIN_PASSWORD or --admin-password)", file=sys.stderr)
                return 1
            print(password)
            return 0
        target = Path(args.export).expanduser()
        fmt = "html" if target.suffix.lower() in (".html", ".htm") else "text"
        since = since_today(args.since) if args.since else None
        try:
            count = store.export_transcript(target, fmt, since)
        except OSError as error:
            print(f"run_server.py: cannot write {target} ({error.strerror})", file=sys.stderr)
            return 1
        print(f"Wrote {count} public message{'' if count == 1 else 's'} to {target}")
        return 0
    finally:
        store.close()


def print_banner(settings: Settings, port: int, generated: bool, kept_password: bool = False,
                 data_option: str = "", download: bool = False) -> None:
    print(f"Classroom chat server listening on {settings.host}:{port}")
    if generated:
        print(f"Admin password (generated): {settings.admin_password}")
    where = settings.host
    if settings.host in ("0.0.0.0", "::", ""):
        addresses = lan_addresses()
        where = addresses[0] if addresses else "localhost"
        if addresses:
            print("Students connect to:")
            for address in addresses:
                print(f"    {address}  port {port}")
        else:
            print("No LAN address found: only this machine can connect "
                  f"(localhost port {port}).")
    elif is_loopback(settings.host):
        print(f"Only this machine can connect ({settings.host} is a loopback address). "
              "To let the class in, start with --host 0.0.0.0")
    if download:
        base = f"http://{f'[{where}]' if ':' in where else where}:{port}/download"
        print("Students download the desktop app here, then double-click it:\n"
              f"    {base}/{app_bundle.WINDOWS_NAME}   (Windows)\n"
              f"    {base}/{app_bundle.APP_NAME}    (macOS, Linux)")
    if settings.data_dir is None:
        print("Nothing is kept: the history, bans and password end with this run "
              "(--no-store).")
    else:
        print(f"The lesson is kept in {settings.data_dir}; export it with: "
              f"{COMMAND}{data_option} --export lesson.html")
        if generated:
            print("The admin password is kept there too: the next start uses it again.")
        elif kept_password:
            print(f"Admin password: kept in {settings.data_dir}; show it with: "
                  f"{COMMAND}{data_option} --show-password")
    print("Stop with Ctrl+C; everyone is told the server is going down.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
