"""run_server.py's options: checked in one line, the kept lesson, the admin password."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import run_server
from protocol.events import Message
from server.store import Store
from tests.support import ROOT, start_server_process


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run_server.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=20, env=env)


def not_a_folder(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("x")
    return str(tmp_path / "a-file" / "classchat")      # unwritable, even for root


@pytest.mark.parametrize("args, says", [
    (["--port", "70000"], "--port must be between 0 and 65535"),
    (["--port", "-1"], "--port must be between 0 and 65535"),
    (["--port", "many"], "invalid int value"),
    (["--max-clients", "0"], "--max-clients must be 1 or more"),
    (["--max-frame", "63"], "--max-frame must be 64 or more"),
    (["--history", "-1"], "--history must be 0 or more"),
    (["--rate-limit", "-1"], "--rate-limit must be 0 (no limit) or more"),
    (["--rate-burst", "0"], "--rate-burst must be 1 or more"),
    (["--heartbeat", "0"], "--heartbeat must be more than 0"),
    (["--resume-grace", "nan"], "--resume-grace must be 0 or more"),
    (["--ban-minutes", "-5"], "--ban-minutes must be 0 (no ban) or more"),
    (["--login-timeout", "0"], "--login-timeout must be more than 0"),
    (["--host", "192.0.2.1"], "is not an address of this machine"),
    (["--host", "no-such-host.invalid"], "is not an address or name"),
    (["--data-dir", None], "cannot write to the data folder"),
    (["--export", "t.txt", "--since", "25:99"], "--since wants a time of today as HH:MM"),
    (["--since", "09:00"], "--since goes with --export"),
    (["--no-store", "--export", "t.txt"], "--no-store keeps nothing"),
    (["--no-store", "--show-password"], "--no-store keeps nothing"),
])
def test_a_bad_option_is_one_line_and_status_2(args, says, tmp_path):
    args = [not_a_folder(tmp_path) if a is None else a for a in args]
    result = run("--port", "0", *args) if "--port" not in args else run(*args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


# ---- main() in this process, with a stand-in for the server ---------------------------

class FakeServer:
    """Takes the store as the lead's ChatServer does; serves nothing and returns."""
    started: list["FakeServer"] = []

    def __init__(self, settings, store=None, web=None):
        self.settings, self.store, self.port = settings, store, 5050
        self.saved = store.load(settings.history, 600)
        FakeServer.started.append(self)

    def request_shutdown(self, by="server", reason=""):
        pass

    def serve_forever(self):
        pass


@pytest.fixture
def start(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(run_server, "ChatServer", FakeServer)
    monkeypatch.setattr(run_server.signal, "signal", lambda *args: None)  # keep pytest's
    monkeypatch.delenv("CHAT_ADMIN_PASSWORD", raising=False)
    FakeServer.started.clear()

    def start(*args: str) -> tuple[int, str, str]:
        status = run_server.main(["--host", "127.0.0.1", "--port", "0", *args])
        printed = capsys.readouterr()
        return status, printed.out, printed.err
    return start


def test_the_password_is_printed_on_the_first_start_only(start, tmp_path, capsys):
    data = str(tmp_path / "lesson")
    status, first, _ = start("--data-dir", data)
    assert status == 0
    line = first.splitlines()[1]
    assert line.startswith("Admin password (generated): ")
    password = line.split()[-1]
    assert FakeServer.started[-1].settings.admin_password == password

    status, second, _ = start("--data-dir", data)
    assert password not in second
    assert (f"Admin password: kept in {data}; show it with: python run_server.py "
            f"--data-dir {data} --show-password") in second
    assert FakeServer.started[-1].settings.admin_password == password

    assert run_server.main(["--data-dir", data, "--show-password"]) == 0
    assert capsys.readouterr().out == password + "\n"


def test_show_password_prints_only_the_password(tmp_path):
    data = tmp_path / "lesson"
    data.mkdir()
    store = Store(data / "chat.sqlite3")
    store.set_admin_password("kept-pw-1")
    store.close()
    result = run("--data-dir", str(data), "--show-password")
    assert (result.returncode, result.stdout) == (0, "kept-pw-1\n")


def test_show_password_before_any_start_says_so(tmp_path):
    result = run("--data-dir", str(tmp_path / "empty"), "--show-password")
    assert result.returncode == 1
    assert "nothing is kept in" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_given_password_is_used_not_kept_and_the_command_line_warns(start, tmp_path,
                                                                       monkeypatch):
    data = tmp_path / "lesson"
    status, out, err = start("--data-dir", str(data), "--admin-password", "cli-pw-123")
    assert FakeServer.started[-1].settings.admin_password == "cli-pw-123"
    assert "cli-pw-123" not in out + err
    assert "visible to other users" in err and "CHAT_ADMIN_PASSWORD" in err
    monkeypatch.setenv("CHAT_ADMIN_PASSWORD", "env-pw-456")
    status, out, err = start("--data-dir", str(data))
    assert FakeServer.started[-1].settings.admin_password == "env-pw-456"
    assert err == "" and "env-pw-456" not in out and "Admin password" not in out
    reader = Store(data / "chat.sqlite3", read_only=True)
    assert reader.admin_password() is None
    reader.close()


def test_loopback_warns_that_only_this_machine_can_connect(start, tmp_path):
    for host in ("127.0.0.1", "127.0.0.2") if sys.platform.startswith("linux") else (
            "127.0.0.1",):
        status, out, _ = start("--data-dir", str(tmp_path), "--host", host)
        assert status == 0
        assert f"Only this machine can connect ({host} is a loopback address)" in out
        assert "--host 0.0.0.0" in out


def test_the_banner_says_where_the_lesson_is_kept_and_how_to_export(start, tmp_path):
    status, out, _ = start("--data-dir", str(tmp_path))
    assert (f"The lesson is kept in {tmp_path}; export it with: python run_server.py "
            f"--data-dir {tmp_path} --export lesson.html") in out


def test_the_default_data_folder_is_the_platform_one(start):
    status, out, _ = start()
    assert status == 0
    assert FakeServer.started[-1].settings.data_dir == run_server.default_data_dir()
    assert f"The lesson is kept in {run_server.default_data_dir()}; export it with: " \
           "python run_server.py --export lesson.html" in out


def test_new_options_reach_the_settings(start, tmp_path):
    start("--data-dir", str(tmp_path), "--heartbeat", "5", "--resume-grace", "30",
          "--ban-minutes", "0", "--prompt-after", "2.5", "--history", "0")
    settings = FakeServer.started[-1].settings
    assert (settings.heartbeat, settings.resume_grace, settings.ban_minutes,
            settings.prompt_after, settings.history) == (5, 30, 0, 2.5, 0)
    assert settings.data_dir == tmp_path


def test_no_store_keeps_nothing(start, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    passwords = []
    for _ in range(2):
        status, out, _ = start("--no-store")
        assert status == 0
        assert "Nothing is kept" in out
        passwords.append(out.splitlines()[1].split()[-1])
        assert FakeServer.started[-1].settings.data_dir is None
    assert passwords[0] != passwords[1]                # nothing was kept between them
    assert list(tmp_path.iterdir()) == []


def test_export_writes_the_kept_lesson(tmp_path):
    store = Store(tmp_path / "chat.sqlite3")
    now_ms = int(time.time() * 1000)
    store.add_message(Message(1, now_ms - 3 * 86_400_000, "alice", None, "last week", 1),
                      "alice")
    store.add_message(Message(2, now_ms, "Teacher", None, "Open page <12>", 2, None, True),
                      "teacher")
    store.add_message(Message(3, now_ms, "alice", "bob", "private", 3), "alice")
    store.close()
    page = tmp_path / "lesson.HTML"
    result = run("--data-dir", str(tmp_path), "--export", str(page))
    assert (result.returncode, result.stdout) == (0, f"Wrote 2 public messages to {page}\n")
    html = page.read_text(encoding="utf-8")
    assert "Open page &lt;12&gt;" in html and "private" not in html
    text = tmp_path / "lesson.txt"
    result = run("--data-dir", str(tmp_path), "--export", str(text), "--since", "00:00")
    assert result.stdout == f"Wrote 1 public message to {text}\n"
    assert "Teacher (admin): Open page <12>" in text.read_text(encoding="utf-8")


# ---- the real server process ----------------------------------------------------------

def test_a_real_start_keeps_the_password_and_a_second_server_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CHAT_ADMIN_PASSWORD"}
    data = str(tmp_path / "lesson")
    process, port = start_server_process("--data-dir", data, env=env)
    try:
        assert process.stdout.readline().startswith("Classroom chat server listening")
        password = process.stdout.readline().split()[-1]
        twin = run("--host", "127.0.0.1", "--port", "0", "--data-dir", data, env=env)
        assert twin.returncode == 1
        assert "another server is using" in twin.stderr
        assert len(twin.stderr.splitlines()) == 1
        assert run("--data-dir", data, "--show-password").stdout == password + "\n"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    process, port = start_server_process("--data-dir", data, env=env)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=10)
    assert password not in output
    assert "--show-password" in output


def test_a_real_lesson_survives_sigterm_and_kill_9_and_exports(tmp_path):
    from tests.support import Peer
    data = str(tmp_path / "lesson")
    process, port = start_server_process("--data-dir", data, "--admin-password", "pw")
    with Peer(port) as alice, Peer(port) as bob:
        alice.login("alice")
        bob.login("bob")
        alice.send({"type": "msg", "text": "before <SIGTERM>"})
        assert alice.expect("msg")["id"] == 1
        alice.send({"type": "msg", "to": "bob", "text": "psst"})
        assert alice.expect("msg")["id"] == 2
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    process, port = start_server_process("--data-dir", data, "--admin-password", "pw")
    with Peer(port) as carol:
        welcome = carol.login("carol")
        assert [m["text"] for m in welcome["history"]] == ["before <SIGTERM>"]
        carol.send({"type": "msg", "text": "before kill -9"})
        assert carol.expect("msg")["id"] == 3                  # ids go on counting
    process.kill()                                             # echoed, so already kept
    process.wait(timeout=10)
    out = tmp_path / "lesson.txt"
    result = run("--data-dir", data, "--export", str(out))
    assert result.stdout == f"Wrote 2 public messages to {out}\n"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith("] alice: before <SIGTERM>")
    assert lines[2].endswith("] carol: before kill -9")


def test_the_admin_password_can_come_from_a_file_and_never_shows_in_ps(tmp_path):
    from tests.support import Peer, start_server_process
    secret = tmp_path / "password.txt"
    secret.write_text("from-a-file-42\n")
    process, port = start_server_process("--admin-password-file", str(secret),
                                         "--data-dir", str(tmp_path / "data"))
    try:
        with open(f"/proc/{process.pid}/cmdline", "rb") as cmdline:
            assert b"from-a-file-42" not in cmdline.read()
        with Peer(port) as teacher:
            assert teacher.login("Teacher", "from-a-file-42")["admin"] is True
    finally:
        process.terminate()
        output, log = process.communicate(timeout=10)
    assert "from-a-file-42" not in output + log
