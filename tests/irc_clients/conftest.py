"""Real IRC clients against the real server process: irssi in tmux, WeeChat headless
through its FIFO (facts in ../shared/IRC-CLIENTS.md). Skipped where they are not
installed (run_tests.py installs them on Debian)."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support import start_server_process
from tests.support import wait_for as _wait_for

PASSWORD = "teach-pass"



def wait_for(condition, timeout: float = 10.0, what: str = "the condition"):
    return _wait_for(condition, timeout, what)


@pytest.fixture
def chat_server():
    env = {**os.environ, "CHAT_ADMIN_PASSWORD": PASSWORD}
    process, port = start_server_process("--no-store", env=env)
    yield port
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.stdout.close()
    process.stderr.close()


class Irssi:
    """irssi in a detached tmux session; what it logged per window is read from files."""

    def __init__(self, home: Path, nick: str, port: int, password: str | None = None):
        self.home = home
        self.session = f"irssi-{nick}-{os.getpid()}"
        home.mkdir(parents=True, exist_ok=True)
        (home / "config").write_text(
            'settings = {\n'
            f'  core = {{ user_name = "{nick}"; real_name = "{nick.title()}"; }};\n'
            '  "irc/core" = { cmd_queue_speed = "0"; cmds_max_at_once = "1000"; };\n'
            f'  "fe-common/core" = {{ autolog = "yes"; autolog_path = "{home}/logs/$0.log";\n'
            '    autolog_level = "all"; };\n'
            '};\n')
        command = (f"irssi --home={home} -n {nick} -c 127.0.0.1 -p {port}"
                   + (f" -w {password}" if password else ""))
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "200",
                        "-y", "50", command], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, "-l", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.session, "Enter"], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session],
                              capture_output=True, text=True).stdout

    def log(self, window: str) -> str:
        path = self.home / "logs" / f"{window}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def saw(self, window: str, text: str, timeout: float = 10.0) -> str:
        return wait_for(lambda: text in self.log(window) and self.log(window), timeout,
                        f"irssi's {window} window to show {text!r}: {self.log(window)[-800:]}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


class WeeChat:
    """weechat-headless; commands through its FIFO, what it saw from its buffer logs."""

    def __init__(self, home: Path, nick: str, port: int):
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        setup = "; ".join([
            "/set fifo.file.enabled on", "/set logger.file.flush_delay 0",
            f"/set irc.server_default.nicks {nick}", f"/set irc.server_default.username {nick}",
            "/set irc.server_default.anti_flood_prio_high 0",
            "/set irc.server_default.anti_flood_prio_low 0",
            f"/server add test 127.0.0.1/{port} -notls", "/connect test"])
        self.process = subprocess.Popen(
            ["weechat-headless", "--dir", str(home), "--stdout", "-P", "irc,fifo,logger",
             "-r", setup], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.fifo = wait_for(lambda: next(iter(home.glob("weechat_fifo*")), None), 10,
                             "WeeChat's FIFO")

    def command(self, buffer: str, text: str) -> None:
        with open(self.fifo, "w") as fifo:
            fifo.write(f"{buffer} *{text}\n")

    def log(self, buffer: str) -> str:
        path = self.home / "logs" / f"{buffer}.weechatlog"
        return path.read_text(errors="replace") if path.exists() else ""

    def saw(self, buffer: str, text: str, timeout: float = 10.0) -> str:
        return wait_for(lambda: text in self.log(buffer) and self.log(buffer), timeout,
                        f"WeeChat's {buffer} to show {text!r}: {self.log(buffer)[-800:]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def irssi(chat_server, tmp_path):
    if not (shutil.which("irssi") and shutil.which("tmux")):
        pytest.skip("irssi and tmux are not installed (run_tests.py installs them)")
    made = []

    def start(nick: str, password: str | None = None) -> Irssi:
        client = Irssi(tmp_path / f"irssi-{nick}", nick, chat_server, password)
        made.append(client)
        return client

    yield start
    for client in made:
        client.close()


@pytest.fixture
def weechat(chat_server, tmp_path):
    if not shutil.which("weechat-headless"):
        pytest.skip("weechat-headless is not installed (run_tests.py installs it)")
    made = []

    def start(nick: str) -> WeeChat:
        client = WeeChat(tmp_path / f"weechat-{nick}", nick, chat_server)
        made.append(client)
        return client

    yield start
    for client in made:
        client.close()
