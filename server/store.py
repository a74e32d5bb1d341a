"""The server's memory across restarts: an embedded sqlite3 database in one file.

It keeps the messages (public and private, for the history and for exactly-once
after a restart), the next message id and room seq, bans, the nicks that were ever
admins, and the admin password. Nothing per connection.

Writes never happen on the hot path: the room queues them (`add_message`,
`save_ban` …) and the loop calls `flush()` once per pass, which writes everything
queued in one transaction. The database runs in WAL mode with synchronous=NORMAL:
a commit is an append to the log without an fsync, so a pass costs little, SIGTERM
(which ends in `close()`) loses nothing, and `kill -9` loses at most what was queued
in the pass it interrupted. A power cut may also lose the last commits.

One server at a time: the store holds an exclusive lock on a file next to the
database for as long as it is open. `Store(path, read_only=True)` (for --export and
--show-password) reads without that lock, so it works while a server runs.
"""

import contextlib
import html
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from protocol.events import Message

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FAILED_FLUSH_PAUSE = 5.0     # seconds before a flush that failed (disk full …) is retried
MAX_QUEUED = 100_000         # messages held while the disk refuses them, at most

_SCHEMA = """
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    ts         INTEGER NOT NULL,          -- ms since the epoch
    sender     TEXT NOT NULL,
    sender_key TEXT NOT NULL,
    recipient  TEXT,                      -- NULL: everyone
    text       TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    cid        TEXT,
    admin      INTEGER NOT NULL
);
-- Only messages with a cid are looked up by time (exactly-once after a restart).
CREATE INDEX messages_with_cid ON messages (ts) WHERE cid IS NOT NULL;
CREATE TABLE bans (
    nick_key TEXT,
    nick     TEXT,
    ip       TEXT,
    until    REAL NOT NULL,               -- seconds since the epoch
    by_nick  TEXT NOT NULL,
    reason   TEXT
);
CREATE TABLE admin_nicks (nick TEXT PRIMARY KEY);
CREATE TABLE settings (name TEXT PRIMARY KEY, value);
"""

_INSERT_MESSAGE = ("INSERT OR REPLACE INTO messages "
                   "(id, ts, sender, sender_key, recipient, text, seq, cid, admin) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_BAN = "INSERT INTO bans (nick_key, nick, ip, until, by_nick, reason) VALUES (?,?,?,?,?,?)"
_DELETE_BAN = "DELETE FROM bans WHERE nick_key IS ? AND ip IS ?"
_SET = "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)"


class StoreError(Exception):
    """The database cannot be used; the message is one line that says what to do."""


@dataclass
class Saved:
    """What a start reloads."""
    next_id: int
    next_seq: int
    history: list[Message]                 # the last public messages, oldest first
    recent: list[tuple[str, Message]]      # (sender key, message) with a cid, recent
    bans: list["BanRow"]                   # still in force
    admin_nicks: list[str]


@dataclass(frozen=True)
class BanRow:
    nick_key: str | None
    nick: str | None
    ip: str | None
    until: float          # seconds since the epoch
    by: str
    reason: str | None


class Store:
    """`path` None keeps nothing: the same code on an in-memory database."""

    def __init__(self, path: Path | None, *, read_only: bool = False, clock=time.time):
        self.path = path
        self._clock = clock
        self._lock = None
        self._messages: list[tuple] = []
        self._bans: list[tuple[str, tuple]] = []     # (statement, row), in order
        self._admin_nicks: list[tuple[str]] = []
        self._next_seq: int | None = None
        self._retry_at = 0.0
        if path is not None and not read_only:
            self._lock = _lock(path)
        try:
            self._db = self._open(path, read_only)
        except BaseException:
            self._unlock()
            raise

    # ---- opening -----------------------------------------------------------------

    def _open(self, path: Path | None, read_only: bool) -> sqlite3.Connection:
        where = ":memory:" if path is None else str(path)
        try:
            if read_only and path is not None and not path.exists():
                raise StoreError(f"nothing is kept in {path.parent} yet: "
                                 "start the server once, or give --data-dir")
            db = sqlite3.connect(where, isolation_level=None)  # we say BEGIN and COMMIT
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                db.close()
                raise StoreError(f"{where} was written by a newer version of the chat "
                                 f"server (schema {version}, this one knows {SCHEMA_VERSION}):"
                                 " update this copy, or use --data-dir for another folder")
            if not read_only:
                if path is not None and os.name == "posix":
                    # It holds the admin password and private messages.
                    with contextlib.suppress(OSError):
                        os.chmod(path, 0o600)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                if version == 0:
                    db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} "
                                     f"PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
            db.execute("SELECT count(*) FROM settings").fetchone()   # is it really ours?
            return db
        except sqlite3.DatabaseError as error:
            raise StoreError(_explain(where, error)) from None

    # ---- what a start reloads ----------------------------------------------------

    def load(self, history: int, recent_seconds: float) -> Saved:
        db = self._db
        now = self._clock()
        recent_since = int((now - recent_seconds) * 1000)
        with _transaction(db):
            # Keep the file small: a private message matters only while a resend of it
            # may come; an ended ban not at all.
            db.execute("DELETE FROM messages WHERE recipient IS NOT NULL AND ts < ?",
                       (recent_since,))
            db.execute("DELETE FROM bans WHERE until <= ?", (now,))
        last_id = db.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
        last_seq = db.execute("SELECT max(seq) FROM messages").fetchone()[0] or 0
        noted_seq = self._setting("next_seq") or 1
        rows = db.execute("SELECT id, ts, sender, recipient, text, seq, cid, admin "
                          "FROM messages WHERE recipient IS NULL "
                          "ORDER BY id DESC LIMIT ?", (max(history, 0),)).fetchall()
        recent = db.execute("SELECT sender_key, id, ts, sender, recipient, text, seq, cid, "
                            "admin FROM messages WHERE cid IS NOT NULL AND ts >= ? "
                            "ORDER BY id", (recent_since,)).fetchall()
        bans = db.execute("SELECT nick_key, nick, ip, until, by_nick, reason FROM bans "
                          "WHERE until > ? ORDER BY rowid", (now,)).fetchall()
        admins = db.execute("SELECT nick FROM admin_nicks ORDER BY rowid").fetchall()
        return Saved(
            next_id=last_id + 1,
            next_seq=max(int(noted_seq), last_seq + 1),
            history=[_message(row) for row in reversed(rows)],
            recent=[(row[0], _message(row[1:])) for row in recent],
            bans=[BanRow(*row) for row in bans],
            admin_nicks=[nick for (nick,) in admins])

    # ---- queued writes -----------------------------------------------------------

    def add_message(self, message: Message, sender_key: str) -> None:
        self._messages.append((message.id, message.ts, message.sender, sender_key,
                               message.to, message.text, message.seq, message.cid,
                               int(message.admin)))

    def save_ban(self, ban: BanRow) -> None:
        self._bans.append((_INSERT_BAN, (ban.nick_key, ban.nick, ban.ip, ban.until,
                                         ban.by, ban.reason)))

    def delete_ban(self, nick_key: str | None, ip: str | None) -> None:
        self._bans.append((_DELETE_BAN, (nick_key, ip)))

    def note_admin_nick(self, nick: str) -> None:
        self._admin_nicks.append((nick,))

    def note_seq(self, next_seq: int) -> None:
        self._next_seq = next_seq

    def flush(self) -> None:
        """Everything queued since the last flush, in one transaction."""
        if not (self._messages or self._bans or self._admin_nicks
                or self._next_seq is not None):
            return
        if self._retry_at and time.monotonic() < self._retry_at:
            return
        db = self._db
        try:
            with _transaction(db):
                if self._messages:
                    db.executemany(_INSERT_MESSAGE, self._messages)
                for statement, row in self._bans:
                    db.execute(statement, row)
                if self._admin_nicks:
                    db.executemany("INSERT OR IGNORE INTO admin_nicks (nick) VALUES (?)",
                                   self._admin_nicks)
                if self._next_seq is not None:
                    db.execute(_SET, ("next_seq", self._next_seq))
        except sqlite3.Error as error:
            # The chat goes on without its record; we try again in a while.
            log.error("could not keep the last messages in %s: %s; retrying in %.0f s",
                      self.path, error, FAILED_FLUSH_PAUSE)
            self._retry_at = time.monotonic() + FAILED_FLUSH_PAUSE
            del self._messages[:-MAX_QUEUED]
            return
        if self._retry_at:
            log.warning("the messages are kept in %s again", self.path)
            self._retry_at = 0.0
        self._messages = []
        self._bans = []
        self._admin_nicks = []
        self._next_seq = None

    # ---- the admin password: written at once ---------------------------------------

    def admin_password(self) -> str | None:
        return self._setting("admin_password")

    def set_admin_password(self, password: str) -> None:
        with _transaction(self._db):
            self._db.execute(_SET, ("admin_password", password))

    def _setting(self, name: str):
        row = self._db.execute("SELECT value FROM settings WHERE name = ?",
                               (name,)).fetchone()
        return None if row is None else row[0]

    # ---- a transcript for people ---------------------------------------------------

    def export_transcript(self, path: Path, fmt: Literal["html", "text"],
                          since_ms: int | None = None) -> int:
        """The public messages (since `since_ms`) as a file a person reads; the count."""
        self.flush()
        rows = self._db.execute(
            "SELECT id, ts, sender, recipient, text, seq, cid, admin FROM messages "
            "WHERE recipient IS NULL AND ts >= ? ORDER BY id", (since_ms or 0,)).fetchall()
        messages = [_message(row) for row in rows]
        write = _html if fmt == "html" else _text
        Path(path).write_text(write(messages), encoding="utf-8", newline="\n")
        return len(messages)

    # ---- the end -------------------------------------------------------------------

    def close(self) -> None:
        """Flushes first. A second close does nothing."""
        if self._db is None:
            return
        try:
            self._retry_at = 0.0
            self.flush()
        finally:
            self._db.close()
            self._db = None
            self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()      # closing the file releases the lock
            self._lock = None


# ---- helpers ---------------------------------------------------------------------

class _transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN")

    def __exit__(self, kind, error, trace):
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._roll_back()
                raise
        self._roll_back()

    def _roll_back(self) -> None:
        if self.db.in_transaction:     # SQLite may have rolled back already (disk full)
            self.db.execute("ROLLBACK")


def _message(row) -> Message:
    id_, ts, sender, to, text, seq, cid, admin = row
    return Message(id_, ts, sender, to, text, seq, cid, bool(admin))


def _explain(where: str, error: sqlite3.DatabaseError) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return f"another program is using {where}; stop it or use --data-dir"
    if "readonly" in text or "unable to open" in text:
        return f"cannot write {where} ({text}); fix its permissions or use --data-dir"
    if "not a database" in text or "malformed" in text:
        return (f"{where} is damaged ({text}); move it away to start afresh, "
                "or use --data-dir")
    return f"cannot use {where} ({text}); use --data-dir for another folder"


def _lock(path: Path):
    """An exclusive lock on `<database>.lock`, held while the store is open."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+b")
    except OSError as error:
        raise StoreError(f"cannot write {lock_path} ({error.strerror}); "
                         "fix its permissions or use --data-dir") from None
    try:
        _try_lock(handle)
    except OSError:
        handle.seek(0)
        holder = handle.read(20).decode("ascii", "replace").strip()
        handle.close()
        who = f" (process {holder})" if holder.isdigit() else ""
        raise StoreError(f"another server is using {path}{who}; stop it or use "
                         "--data-dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode())
    handle.flush()
    return handle


try:
    import fcntl

    def _try_lock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
except ImportError:     # Windows
    import msvcrt

    def _try_lock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)


# ---- transcript formats --------------------------------------------------------------

def _local(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000)


def _text(messages: list[Message]) -> str:
    lines = []
    day = None
    for message in messages:
        when = _local(message.ts)
        if when.date() != day:
            day = when.date()
            lines.append(("\n" if lines else "") + f"--- {day:%A %d %B %Y} ---")
        admin = " (admin)" if message.admin else ""
        text = message.text.replace("\n", "\n        ")
        lines.append(f"[{when:%H:%M}] {message.sender}{admin}: {text}")
    if not lines:
        lines.append("(no messages)")
    return "\n".join(lines) + "\n"


_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; }
h2 { font-size: 1.1em; margin-top: 2em; border-bottom: 1px solid #ccc; }
p { margin: 0.2em 0; display: grid; grid-template-columns: 3.5em max-content 1fr;
    column-gap: 0.5em; }
p span { white-space: pre-wrap; }   /* a message's later lines stay under its text */
time { color: #666; font-variant-numeric: tabular-nums; margin-right: 0.5em; }
.admin b { color: #a33; }
"""


def _html(messages: list[Message]) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en">', '<meta charset="utf-8">',
             "<title>Classroom chat transcript</title>", f"<style>{_STYLE}</style>",
             "<h1>Classroom chat transcript</h1>"]
    day = None
    for message in messages:
        when = _local(message.ts)
        if when.date() != day:
            day = when.date()
            parts.append(f"<h2>{day:%A %d %B %Y}</h2>")
        admin = message.admin
        who = html.escape(message.sender) + (" (admin)" if admin else "")
        parts.append(f'<p{" class=admin" if admin else ""}>'
                     f'<time datetime="{when.isoformat(timespec="seconds")}">'
                     f"{when:%H:%M}</time><b>{who}:</b>"
                     f"<span>{html.escape(message.text)}</span></p>")
    if not messages:
        parts.append("<p>(no messages)</p>")
    return "\n".join(parts) + "\n"
