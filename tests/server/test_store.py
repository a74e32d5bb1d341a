"""server/store.py: the lesson kept in sqlite3 across restarts (no sockets here)."""

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from protocol.events import Message
from server.datadir import database_path, default_data_dir, make_data_dir
from server.store import BanRow, Store, StoreError
from tests.support import ROOT

NOW = 1_800_000_000.0          # seconds since the epoch, a fixed "now" for the clock


def msg(id_, text="hi", to=None, cid=None, sender="alice", admin=False, ts=None, seq=None):
    return Message(id_, int(NOW * 1000) if ts is None else ts, sender, to, text,
                   id_ if seq is None else seq, cid, admin)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "chat.sqlite3"


def opened(path, now=NOW) -> Store:
    return Store(path, clock=lambda: now)


def test_a_new_database_starts_at_one(db):
    store = opened(db)
    saved = store.load(history=50, recent_seconds=600)
    assert (saved.next_id, saved.next_seq) == (1, 1)
    assert saved.history == saved.recent == saved.bans == saved.admin_nicks == []
    assert store.admin_password() is None
    store.close()


def test_everything_survives_close_and_reopen(db):
    store = opened(db)
    store.load(50, 600)
    public = [msg(i, f"text {i}", cid=f"c{i}" if i % 2 else None) for i in range(1, 6)]
    private = msg(6, "psst", to="bob", cid="p1")
    for message in public:
        store.add_message(message, "alice")
    store.add_message(private, "alice")
    store.note_seq(9)                   # joins and leaves took seq 7 and 8
    ban = BanRow("eve", "Eve", "10.0.0.9", NOW + 600, "teacher", "spam")
    store.save_ban(ban)
    store.save_ban(BanRow("mallory", "Mallory", None, NOW + 600, "teacher", None))
    store.delete_ban("mallory", None)
    store.note_admin_nick("Teacher")
    store.note_admin_nick("Teacher")
    store.set_admin_password("s3cret")
    store.close()

    store = opened(db)
    saved = store.load(history=3, recent_seconds=600)
    assert saved.next_id == 7
    assert saved.next_seq == 9
    assert saved.history == public[-3:]                         # public only, oldest first
    assert [m for _, m in saved.recent] == [public[0], public[2], public[4], private]
    assert {key for key, _ in saved.recent} == {"alice"}
    assert saved.recent[-1][1].to == "bob"
    assert saved.bans == [ban]
    assert saved.admin_nicks == ["Teacher"]
    assert store.admin_password() == "s3cret"
    store.close()


def test_history_zero_and_the_next_seq_from_messages(db):
    store = opened(db)
    store.add_message(msg(1, seq=41), "alice")      # no note_seq: the message's seq counts
    store.close()
    saved = opened(db).load(history=0, recent_seconds=600)
    assert saved.history == []
    assert (saved.next_id, saved.next_seq) == (2, 42)


def test_old_cids_and_old_private_messages_are_not_reloaded(db):
    store = opened(db)
    old_ts = int((NOW - 3600) * 1000)
    store.add_message(msg(1, "old public", cid="a", ts=old_ts), "alice")
    store.add_message(msg(2, "old private", to="bob", cid="b", ts=old_ts), "alice")
    store.add_message(msg(3, "new", cid="c"), "alice")
    store.close()
    saved = opened(db).load(history=50, recent_seconds=600)
    assert [m.id for _, m in saved.recent] == [3]
    assert [m.text for m in saved.history] == ["old public", "new"]
    assert saved.next_id == 4


def test_expired_bans_are_not_loaded(db):
    store = opened(db)
    store.save_ban(BanRow("eve", "Eve", "10.0.0.9", NOW + 60, "teacher", None))
    store.save_ban(BanRow(None, None, "10.0.0.7", NOW + 3600, "teacher", "noise"))
    store.close()
    later = opened(db, now=NOW + 120).load(50, 600)
    assert [b.ip for b in later.bans] == ["10.0.0.7"]


def test_nothing_queued_means_no_statement(db):
    store = opened(db)
    statements = []
    store._db.set_trace_callback(statements.append)
    for _ in range(100):
        store.flush()
    assert statements == []
    store.close()


def test_a_flush_of_1000_messages_is_one_quick_transaction(db):
    store = opened(db)
    store.load(50, 600)
    for i in range(1, 1001):
        store.add_message(msg(i, "x" * 100, cid=str(i)), "alice")
    store.note_seq(1001)
    statements = []
    store._db.set_trace_callback(statements.append)
    started = time.perf_counter()
    store.flush()
    elapsed = time.perf_counter() - started
    store._db.set_trace_callback(None)
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1
    # About 5 ms (18 ms with a WAL checkpoint) on the 2-core test machine; generous so a busy machine cannot fail it.
    assert elapsed < 0.5, f"flush of 1000 messages took {elapsed * 1000:.0f} ms"
    store.close()
    assert opened(db).load(1000, 600).next_id == 1001


KILLED = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from protocol.events import Message
    from server.store import Store
    store = Store(Path(sys.argv[1]))
    next_id = 1
    for _ in range(5):                               # five loop passes, each flushed
        for _ in range(10):
            store.add_message(Message(next_id, 1, "alice", None, "m", next_id), "alice")
            next_id += 1
        store.note_seq(next_id)
        store.flush()
    for _ in range(10):                              # the pass that is killed
        store.add_message(Message(next_id, 1, "alice", None, "m", next_id), "alice")
        next_id += 1
    print("ready", flush=True)
    time.sleep(60)
""")


def test_kill_9_loses_at_most_the_unflushed_pass(db):
    process = subprocess.Popen([sys.executable, "-c", KILLED, str(db)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "ready\n"
    finally:
        process.kill()                               # SIGKILL: no close(), no flush
        process.wait(10)
    store = Store(db)                                # the lock died with the process
    saved = store.load(history=100, recent_seconds=600)
    assert saved.next_id == 51
    assert [m.id for m in saved.history] == list(range(1, 51))
    store.close()


class FailingCommits:
    """Stands in for the connection: COMMIT fails as on a full disk."""

    def __init__(self, db):
        self.db = db

    def __getattr__(self, name):
        return getattr(self.db, name)

    def execute(self, statement, *args):
        if statement == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(statement, *args)


def test_a_refused_write_keeps_the_chat_going_and_is_tried_again(db, monkeypatch):
    monkeypatch.setattr("server.store.FAILED_FLUSH_PAUSE", 0.0)
    store = opened(db)
    real = store._db
    store._db = FailingCommits(real)
    store.add_message(msg(1), "alice")
    store.flush()                                   # logged, not raised
    assert not real.in_transaction
    store._db = real
    store.add_message(msg(2), "alice")
    store.flush()
    store.close()
    assert [m.id for m in opened(db).load(50, 600).history] == [1, 2]


def test_close_flushes_what_is_queued(db):
    store = opened(db)
    store.add_message(msg(1), "alice")
    store.close()
    assert opened(db).load(50, 600).next_id == 2


def test_a_second_server_on_the_same_file_is_refused_in_one_line(db):
    store = opened(db)
    with pytest.raises(StoreError) as refused:
        Store(db)
    message = str(refused.value)
    assert "another server is using" in message and "--data-dir" in message
    assert "\n" not in message
    reader = Store(db, read_only=True)               # --export while the lesson runs
    store.add_message(msg(1, "live"), "alice")
    store.flush()
    out = db.with_name("live.txt")
    assert reader.export_transcript(out, "text") == 1 and "live" in out.read_text()
    store.close()
    reader.close()


def test_a_damaged_file_is_one_clear_line(db):
    db.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as refused:
        Store(db)
    assert "damaged" in str(refused.value) and "\n" not in str(refused.value)
    Store(db.with_name("other.sqlite3")).close()     # the lock was let go


def test_a_file_from_a_newer_version_is_refused(db):
    opened(db).close()
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version=99")
    raw.close()
    with pytest.raises(StoreError, match="newer version"):
        Store(db)


def test_an_unwritable_folder_is_one_clear_line(tmp_path):
    # A "folder" that is a plain file: nobody can write in it, root included (a folder
    # without write permission would not stop root, who runs CI).
    folder = tmp_path / "not-a-folder"
    folder.write_text("")
    with pytest.raises(StoreError, match="--data-dir"):
        Store(folder / "chat.sqlite3")


def test_the_transcript_is_public_escaped_and_readable(db, tmp_path):
    store = opened(db)
    store.add_message(msg(1, "<script>alert(1)</script>", sender="eve"), "eve")
    store.add_message(msg(2, "secret", to="bob"), "alice")
    store.add_message(msg(3, "Good morning & welcome", sender="Teacher", admin=True),
                      "teacher")
    page = tmp_path / "lesson.html"
    assert store.export_transcript(page, "html") == 2     # exports what is queued too
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Good morning &amp; welcome" in html
    assert "secret" not in html
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    text = tmp_path / "lesson.txt"
    assert store.export_transcript(text, "text") == 2
    lines = text.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith("] eve: <script>alert(1)</script>")
    assert lines[2].endswith("] Teacher (admin): Good morning & welcome")
    assert "secret" not in text.read_text(encoding="utf-8")
    store.close()


def test_the_transcript_since_a_time(db, tmp_path):
    store = opened(db)
    store.add_message(msg(1, "early", ts=1000), "alice")
    store.add_message(msg(2, "late", ts=5000), "alice")
    out = tmp_path / "t.txt"
    assert store.export_transcript(out, "text", since_ms=2000) == 1
    assert "late" in out.read_text() and "early" not in out.read_text()
    store.close()


def test_no_path_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store(None)
    store.load(50, 600)
    store.add_message(msg(1), "alice")
    store.save_ban(BanRow("eve", "Eve", None, time.time() + 600, "teacher", None))
    store.set_admin_password("pw")
    store.flush()
    assert store.load(50, 600).next_id == 2          # the same code path, in memory
    store.close()
    again = Store(None)
    saved = again.load(50, 600)
    assert (saved.next_id, saved.bans, again.admin_password()) == (1, [], None)
    again.close()
    assert list(tmp_path.iterdir()) == []


def test_the_data_folder_is_per_platform_and_private(tmp_path, monkeypatch):
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert default_data_dir() == tmp_path / "xdg" / "classchat"
        monkeypatch.delenv("XDG_DATA_HOME")
        assert default_data_dir() == Path.home() / ".local" / "share" / "classchat"
    folder = make_data_dir(tmp_path / "a" / "classchat")
    if os.name == "posix":
        assert folder.stat().st_mode & 0o777 == 0o700
    assert database_path(folder) == folder / "chat.sqlite3"


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS has no XDG_DATA_HOME")
def test_the_tests_never_touch_the_real_home():
    assert not str(default_data_dir()).startswith(str(Path.home() / ".local"))
