#!/usr/bin/env python3
"""irssi beside the desktop client in the same conversation: screenshots/14-irc-beside-desktop.png.

    python screenshots/make_irc_screenshot.py

Everything is real and runs in its own processes: the server (`run_server.py` on
127.0.0.1, a fresh --data-dir, the admin password from CHAT_ADMIN_PASSWORD), an Xvfb
screen (with -fbdir, so the screen is a file we can read), an xterm on the left running
irssi as alice (inside tmux, so the script can type into it with `tmux send-keys`), the
desktop client as bob on the right (`run_client.py`, typed into with xdotool), and the
teacher as a JSON client of this script. They talk in public and alice and bob whisper
once each way; then one shot of the whole screen is saved.

Needs Linux with Xvfb, xterm, irssi, tmux and xdotool
(`apt-get install -y --no-install-recommends xvfb xterm irssi tmux xdotool`).
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import xwd  # noqa: E402

SCREEN = (1400, 700)
BACKGROUND = (0xc9, 0xce, 0xd6)     # the light strip of the other screenshots
XTERM_PLACE = (20, 20)               # top left of the terminal
XTERM_CHARS = (74, 34)               # columns, rows of DejaVu Sans Mono 11
CLIENT_GEOMETRY = "680x640+710+20"
OUT = HERE / "14-irc-beside-desktop.png"
TOOLS = ("Xvfb", "xterm", "irssi", "tmux", "xdotool")


def start_xvfb(fbdir: str):
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp", "-nocursor", "-dpi", "96", "-fbdir", fbdir],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    return process, f":{number}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(condition, what: str, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Teacher:
    """The teacher, logged in over JSON with the admin password; keeps every line it gets."""

    def __init__(self, port: int, password: str):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.events: list[dict] = []
        self.sock.sendall(json.dumps({"type": "login", "nick": "teacher",
                                      "password": password}).encode() + b"\n")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                self.events.extend(json.loads(line) for line in lines if line.strip())
        except OSError:
            pass

    def saw(self, text: str) -> bool:
        return any(e.get("type") == "msg" and text in e.get("text", "") for e in self.events)

    def online(self, nick: str) -> bool:
        return any(e.get("type") == "joined" and e.get("nick") == nick for e in self.events)

    def say(self, text: str) -> None:
        self.sock.sendall(json.dumps({"type": "msg", "text": text}).encode() + b"\n")

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Irssi:
    """irssi as alice, in tmux (a socket of our own) in an xterm on the left."""

    def __init__(self, env: dict, port: int, home: str):
        self.env = env
        self.socket = os.path.join(home, "tmux.sock")
        with open(os.path.join(home, "config"), "w") as f:
            # Registered at once and no flood queue; private messages in the window that
            # has the MSGS level (set below) rather than in query windows of their own.
            f.write('settings = {\n'
                    '  core = { user_name = "alice"; real_name = "Alice"; };\n'
                    '  "irc/core" = { cmd_queue_speed = "0"; cmds_max_at_once = "1000"; };\n'
                    '  "fe-common/core" = { autocreate_query_level = "none";\n'
                    '                        autocreate_own_query = "no"; };\n'
                    '};\n')
        irssi = f"irssi --home={home} -n alice -c 127.0.0.1 -p {port}"
        columns, rows = XTERM_CHARS
        self.xterm = subprocess.Popen(
            ["xterm", "-u8", "-fa", "DejaVu Sans Mono", "-fs", "11",
             "-geometry", f"{columns}x{rows}+{XTERM_PLACE[0]}+{XTERM_PLACE[1]}",
             "-bg", "#1e2127", "-fg", "#d7dae0", "-bw", "0", "-b", "8",
             "-T", "irssi — alice", "-e",
             "tmux", "-S", self.socket, "-f", "/dev/null", "new-session", "-s", "irc", irssi],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait(lambda: os.path.exists(self.socket) and self.tmux("has-session", "-t", "irc",
                                                               check=False).returncode == 0,
             "tmux to start")
        self.tmux("set-option", "-g", "status", "off")

    def tmux(self, *args: str, check: bool = True):
        return subprocess.run(["tmux", "-S", self.socket, *args], env=self.env, check=check,
                              capture_output=True, text=True)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "irc").stdout

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", "irc", "-l", line)
        self.tmux("send-keys", "-t", "irc", "Enter")

    def quit(self) -> None:
        self.tmux("send-keys", "-t", "irc", "/quit class is over", "Enter", check=False)
        try:
            self.xterm.wait(5)
        except subprocess.TimeoutExpired:
            self.tmux("kill-server", check=False)


class Desktop:
    """The real desktop client as bob, on the right half; typed into with xdotool."""

    def __init__(self, env: dict, port: int):
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, "run_client.py", "--host", "127.0.0.1", "--port", str(port),
             "--nick", "bob", "--geometry", CLIENT_GEOMETRY, "--lang", "en"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.window = ""

        def found() -> bool:
            result = self.xdotool("search", "--onlyvisible", "--class", "ClassChat",
                                  check=False)
            self.window = result.stdout.split()[-1] if result.stdout.split() else ""
            return bool(self.window)
        wait(found, "the desktop client's window")

    def xdotool(self, *args: str, check: bool = True):
        return subprocess.run(["xdotool", *args], env=self.env, check=check,
                              capture_output=True, text=True)

    def type(self, line: str) -> None:
        # No window manager: give the window the focus, then type (Tk ignores --window).
        self.xdotool("windowfocus", "--sync", self.window)
        time.sleep(0.2)
        self.xdotool("type", "--delay", "25", "--", line)
        self.xdotool("key", "Return")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def window_boxes(env: dict) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of every mapped top-level window but a screen-sized one."""
    boxes = []
    ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--maxdepth", "1", ""],
                         env=env, capture_output=True, text=True).stdout.split()
    for wid in ids:
        out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid], env=env,
                             capture_output=True, text=True).stdout
        values = dict(line.split("=", 1) for line in out.split())
        x, y, w, h = (int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        if 50 < w < SCREEN[0] and 50 < h < SCREEN[1]:    # not the root-sized one
            boxes.append((x, y, x + w, y + h))
    return boxes


def shoot(screen_file: str, boxes, out: Path = OUT) -> None:
    """The whole screen, with what lies outside the windows painted a quiet grey."""
    width, height, rows = xwd.read_xwd(screen_file)
    fill = bytes(BACKGROUND)
    path, out = out, []
    for y, row in enumerate(rows):
        new = bytearray(fill * width)
        for left, top, right, bottom in boxes:
            if top <= y < bottom:
                new[left * 3:right * 3] = row[left * 3:right * 3]
        out.append(bytes(new))
    xwd.write_png(str(path), width, height, out)
    print(f"saved {path}")


def main() -> int:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        sys.exit("make_irc_screenshot: needs " + ", ".join(missing)
                 + " (apt-get install -y --no-install-recommends xvfb xterm irssi tmux xdotool)")
    work = tempfile.mkdtemp(prefix="classchat-irc-shot-")
    fbdir, data_dir, home, config_dir = (os.path.join(work, name)
                                         for name in ("fb", "data", "irssi", "config"))
    for folder in (fbdir, data_dir, home, config_dir):
        os.mkdir(folder)
    password = secrets.token_urlsafe(12)
    port = free_port()
    xvfb = server = irssi = desktop = teacher = None
    server_log = open(os.path.join(work, "server.log"), "w+")
    try:
        xvfb, display = start_xvfb(fbdir)
        env = {**os.environ, "DISPLAY": display, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "CLASSCHAT_CONFIG_DIR": config_dir, "TERM": "xterm-256color"}
        server = subprocess.Popen(
            [sys.executable, "run_server.py", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", data_dir],
            cwd=ROOT, env={**env, "CHAT_ADMIN_PASSWORD": password},
            stdout=server_log, stderr=subprocess.STDOUT)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait(listening, "the server", timeout=30)

        teacher = Teacher(port, password)
        time.sleep(0.3)
        teacher.say("Good morning! Today: for loops. Open exercise 3, please.")
        time.sleep(0.3)

        irssi = Irssi(env, port, home)
        wait(lambda: "End of /MOTD" in irssi.screen(), "irssi to register")
        time.sleep(0.5)
        # irssi stays in its status window. Private messages (no query windows, see the
        # config) go to the window with the MSGS level: the status window has ALL.
        irssi.type("/^window level NONE")
        irssi.type("/window goto #classroom")
        irssi.type("/^window level +MSGS")
        irssi.type("/statusbar topic disable")    # the class has no topic: no empty bar
        wait(lambda: "for loops" in irssi.screen(), "irssi to show #classroom")
        desktop = Desktop(env, port)
        wait(lambda: teacher.online("bob"), "bob to log in")
        time.sleep(1.0)

        def alice(line: str, seen: str) -> None:
            irssi.type(line)
            wait(lambda: teacher.saw(seen) or seen in irssi.screen(), f"alice's {seen!r}")
            time.sleep(0.6)

        def bob(line: str, seen: str, private: bool = False) -> None:
            desktop.type(line)
            wait(lambda: (seen in irssi.screen()) if private else teacher.saw(seen),
                 f"bob's {seen!r}")
            time.sleep(0.6)

        alice("morning! I'm in from irssi today ✓", "from irssi")
        bob("Hi all, bob here on the desktop app", "desktop app")
        teacher.say("Print the numbers 1 to 10 with a for loop.")
        wait(lambda: "1 to 10" in irssi.screen(), "the teacher's line in irssi")
        time.sleep(0.6)
        alice("/msg bob range(1, 10) stops at 9, am I right?", "stops at 9")
        bob("-to alice yes: range(1, 11) gives 1 to 10", "range(1, 11)", private=True)
        alice("done: for i in range(1, 11): print(i)", "done:")
        teacher.say("Well done, alice. Bob, yours?")
        wait(lambda: "yours?" in irssi.screen(), "the teacher's second line")
        time.sleep(0.6)
        bob("Same here, works now", "works now")
        teacher.say("Très bien! For Thursday: while loops, page 12.")
        wait(lambda: "page 12" in irssi.screen(), "the teacher's last line")
        time.sleep(0.6)
        alice("thanks, see you Thursday", "see you")
        time.sleep(1.5)     # let both windows draw the last line

        # A round trip through the X server, then read the screen it keeps in fbdir.
        desktop.xdotool("getmouselocation")
        shoot(os.path.join(fbdir, "Xvfb_screen0"), window_boxes(env))
        return 0
    except Exception:
        server_log.seek(0)
        print(server_log.read(), file=sys.stderr)
        if xvfb is not None and irssi is not None:   # what the screen showed, to see why
            print(irssi.screen(), file=sys.stderr)
            shoot(os.path.join(fbdir, "Xvfb_screen0"), [(0, 0) + SCREEN],
                  Path(tempfile.gettempdir()) / "make_irc_screenshot-failed.png")
        raise
    finally:
        if irssi is not None:
            irssi.quit()
            if irssi.xterm.poll() is None:
                irssi.xterm.terminate()
                irssi.xterm.wait(5)
        if desktop is not None:
            desktop.close()
        if teacher is not None:
            teacher.close()
        if server is not None:
            server.terminate()
            server.wait(10)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        server_log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
