#!/usr/bin/env python3
"""Play a short classroom scene under Xvfb and save the screenshots in screenshots/.

    python screenshots/make_screenshots.py

Starts its own Xvfb (with -fbdir, so the screen is a file we can read), the real
server (`run_server.py` as a child process) and three real desktop clients (three Tk
windows in this process, each with its own socket). The scene is driven through the
widgets, as the GUI tests do. The server console image shows the server's real
startup output in a terminal-styled window. Needs Xvfb (Linux); nothing else.
"""

import os
import re
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import xwd  # noqa: E402

SCREEN = (1800, 1240)
WINDOW = (880, 580)


def start_xvfb(fbdir: str):
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("make_screenshots: Xvfb is needed (apt-get install xvfb).")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp", "-nocursor", "-fbdir", fbdir],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    os.environ["DISPLAY"] = f":{number}"
    return process


def free_port(preferred: int = 5050) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            # As the server does: old connections in TIME_WAIT do not make 5050 busy.
            if os.name == "posix":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


class ServerProcess:
    """`python run_server.py` with its console output collected line by line."""

    def __init__(self, port: int, *extra: str):
        self.command = ["python", "run_server.py", "--port", str(port)]
        # A fresh data folder: a first start, as a teacher sees it (the password shown).
        data_dir = tempfile.mkdtemp(prefix="screenshots-data-")
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "run_server.py", "--port", str(port), "--data-dir", data_dir,
             *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            env={**os.environ, "CHAT_ADMIN_PASSWORD": ""})
        self.lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._collect, daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError(f"the server did not start: {self.lines}")

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Stop with"):
                self._ready.set()

    def admin_password(self) -> str:
        for line in self.lines:
            found = re.match(r"Admin password \(generated\): (\S+)", line)
            if found:
                return found.group(1)
        raise RuntimeError("the server printed no admin password")

    def stop(self) -> None:
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(5)


class Scene:
    def __init__(self, out_dir: Path, fbdir: str):
        self.out_dir = out_dir
        self.screen_file = os.path.join(fbdir, "Xvfb_screen0")
        self.roots = []

    def spin(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for root in self.roots:
                root.update()
            time.sleep(0.01)

    def wait(self, condition, what: str, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.spin(0.02)
            if condition():
                return
        raise RuntimeError(f"timed out waiting for {what}")

    def shoot(self, name: str, *windows, settle: bool = True) -> None:
        """Save `windows` (side by side, on a light strip) as screenshots/NAME.png.
        Without settle, only drawing happens first (no network events are handled)."""
        if settle:
            self.spin(0.4)
        else:
            for root in self.roots:
                root.update_idletasks()
        for root in self.roots:
            root.winfo_pointerxy()   # a round trip: the X server has drawn everything
        width, height, rows = xwd.read_xwd(self.screen_file)
        pieces = []
        for w in windows:
            x, y = w.winfo_rootx(), w.winfo_rooty()
            pieces.append(xwd.crop(width, height, rows,
                                   (x, y, x + w.winfo_width(), y + w.winfo_height())))
        path = self.out_dir / f"{name}.png"
        xwd.write_png(str(path), *side_by_side(pieces))
        print(f"saved {path.relative_to(ROOT)}")


def side_by_side(pieces, gap: int = 16, colour=(0xc9, 0xce, 0xd6)):
    """Join (width, height, rows) images left to right with a `gap` of `colour`."""
    if len(pieces) == 1:
        return pieces[0]
    height = max(h for _, h, _ in pieces)
    width = sum(w for w, _, _ in pieces) + gap * (len(pieces) - 1)
    fill = bytes(colour)
    out = []
    for y in range(height):
        row = b""
        for index, (w, h, rows) in enumerate(pieces):
            if index:
                row += fill * gap
            row += rows[y] if y < h else fill * w
        out.append(row)
    return width, height, out


def console_window(tkinter, server: ServerProcess, x: int, y: int):
    """A terminal-styled window showing the server's real console output."""
    root = tkinter.Tk(className="Console")
    root.geometry(f"{WINDOW[0]}x300+{x}+{y}")
    root.configure(background="#1e2127")
    bar = tkinter.Frame(root, background="#2c313a", height=30)
    bar.pack(fill="x")
    for colour in ("#ff5f56", "#ffbd2e", "#27c93f"):
        tkinter.Canvas(bar, width=12, height=12, background="#2c313a", highlightthickness=0
                       ).pack(side="left", padx=(10 if colour == "#ff5f56" else 4, 0), pady=9)
        bar.winfo_children()[-1].create_oval(1, 1, 11, 11, fill=colour, outline=colour)
    tkinter.Label(bar, text="Terminal — classroom chat server", background="#2c313a",
                  foreground="#c8ccd4", font=("DejaVu Sans", 9)).pack(side="left", padx=16)
    text = tkinter.Text(root, background="#1e2127", foreground="#d7dae0", borderwidth=0,
                        highlightthickness=0, font=("DejaVu Sans Mono", 11), padx=14, pady=12)
    text.pack(fill="both", expand=True)
    text.tag_configure("prompt", foreground="#98c379")
    text.tag_configure("warn", foreground="#e5c07b")
    text.insert("end", "teacher@classroom:~/classchat$ ", "prompt")
    text.insert("end", " ".join(server.command) + "\n")
    for line in server.lines:
        text.insert("end", line + "\n", "warn" if "WARNING" in line else ())
    text.insert("end", "█")
    return root


def main() -> int:
    out_dir = HERE
    fbdir = tempfile.mkdtemp(prefix="classchat-xvfb-")
    config_dir = tempfile.mkdtemp(prefix="classchat-config-")
    os.environ["CLASSCHAT_CONFIG_DIR"] = config_dir   # never touch the real settings
    xvfb = start_xvfb(fbdir)
    server = None
    try:
        import tkinter
        from desktop_client import config
        from desktop_client.app import ChatApp
        from desktop_client import i18n
        from scene_helpers import JsonPeer, click_user_row, type_line

        port = free_port()
        server = ServerProcess(port, "--max-message", "300")
        scene = Scene(out_dir, fbdir)
        width, height = WINDOW

        console = console_window(tkinter, server, width + 20, height + 20)
        scene.roots.append(console)
        scene.shoot("01-server-console", console)

        apps = {}
        places = {"alice": (0, 0), "zoë": (width + 20, 0), "teacher": (0, height + 20)}
        for nick, (x, y) in places.items():
            root = tkinter.Tk(className="ClassChat")
            root.geometry(f"{width}x{height}+{x}+{y}")
            app = ChatApp(root, config.Settings("127.0.0.1", port, ""))
            scene.roots.append(root)
            apps[nick] = app
        teacher, alice, zoe = apps["teacher"], apps["alice"], apps["zoë"]

        # The teacher opens the chat first, with the password the server printed.
        teacher.dialog.nick.set("teacher")
        teacher.dialog.password.set(server.admin_password())
        teacher.dialog.submit()
        scene.wait(lambda: teacher.presenter.online, "the teacher to log in")
        type_line(teacher, "Good morning, class! Today: lists and loops in Python.")
        scene.spin(0.3)

        # Alice fills in the connect dialog: that is the first picture of a client.
        alice.dialog.nick.set("alice")
        scene.shoot("02-connect-dialog", alice.root)
        alice.dialog.submit()
        scene.wait(lambda: alice.presenter.online, "alice to log in")
        # Zoë first types a nick that is taken: the dialog says so and keeps her input.
        zoe.dialog.nick.set("Alice")
        zoe.dialog.submit()
        scene.wait(lambda: "taken" in zoe.dialog.message.get(), "the nick_taken message")
        scene.shoot("03-nick-taken", zoe.root)
        zoe.dialog.nick.set("zoë")
        zoe.dialog.submit()
        scene.wait(lambda: zoe.presenter.online, "zoë to log in")
        type_line(alice, "Morning! 😀")
        scene.spin(0.2)
        type_line(zoe, "Привет! Ready ✓")
        scene.spin(0.2)
        type_line(teacher, "Open exercise 3, please. Ask me privately if you are stuck.")
        scene.wait(lambda: "exercise 3" in alice.messages.content(), "the teacher's message")
        scene.shoot("04-users-online", alice.root)

        click_user_row(alice, "zoë")
        alice.input.set_text("Did you get exercise 3? My loop never stops")
        scene.shoot("05-recipient-chosen", alice.root)
        alice.input.send()
        scene.wait(lambda: "never stops" in zoe.messages.content(), "the private message")
        click_user_row(zoe, "alice")
        type_line(zoe, "Check the i += 1 inside the while 😉")
        scene.wait(lambda: "inside the while" in alice.messages.content(), "the reply")
        scene.shoot("06-private-message", alice.root, zoe.root)

        # A class of 30 comes in: one quiet line, and the list scrolls.
        class_names = ["Ana", "Ben", "Chloé", "Dmitri", "Élodie", "Farah", "Gustavo", "Hana",
                       "Igor", "Jules", "Kwame", "Léa", "Mateo", "Nadia", "Oskar", "Paulo",
                       "Quentin", "Rosa", "Sami", "Tomás", "Uma", "Vera", "Wen", "Xavier",
                       "Yusuf", "Zara", "amir", "beatriz", "chen", "dana"]
        class_ = [JsonPeer(port, name) for name in class_names]
        scene.wait(lambda: alice.presenter.user_count == 33, "the class to join")
        scene.spin(0.3)
        class_[4].say("Question about exercise 3:\nwhy does range(1, 10)\nstop at 9?")
        scene.wait(lambda: "stop at 9" in alice.messages.content(), "the multi-line message")
        alice.users.tree.yview_moveto(0.35)
        scene.shoot("09-class-of-30", alice.root)

        # Delivery: one sent (✓), one refused (too long: not sent, Retry), one pending.
        type_line(alice, "range stops before its end: range(1, 11) gives 1 … 10")
        scene.wait(lambda: "✓" in alice.messages.content(), "the echo")
        type_line(alice, "Here is my whole program: " + "for i in range(1, 10): print(i) " * 10)
        scene.wait(lambda: "Retry" in alice.messages.content(), "the refusal")
        type_line(alice, "Sorry, too long. Shorter: it prints 1 to 9.")
        scene.shoot("10-delivery-states", alice.root, settle=False)
        scene.spin(0.3)

        # The teacher's controls: mute a student, the Undo in the notice, the menu.
        teacher.root.lift()
        scene.spin(0.2)
        teacher.build_user_menu("Jules").invoke(1)     # Mute Jules
        scene.wait(lambda: "Undo" in teacher.messages.content(), "the Undo")
        iid = teacher.users.iid_of("Jules")
        teacher.users.tree.see(iid)
        scene.spin(0.1)
        x, y, w, h = teacher.users.tree.bbox(iid)
        menu = teacher.build_user_menu("Jules")
        menu.post(teacher.users.tree.winfo_rootx() - 150, teacher.users.tree.winfo_rooty() + y)
        scene.shoot("11-teacher-controls", teacher.root)
        menu.unpost()
        for member in class_:
            member.close()
        scene.spin(0.3)

        # The window in Russian and in Portuguese, on a second lesson of their own.
        other = ServerProcess(free_port(5051))
        for code, nick, friends in (("ru", "Борис", ("Аня", "Дима", "Ира", "Костя")),
                                    ("pt", "João", ("Inês", "Rui", "Marta", "Tiago"))):
            i18n.set_language(code)
            root = tkinter.Tk(className="ClassChat")
            root.geometry(f"{width}x{height}+{width + 20}+{height + 20}")
            app = ChatApp(root, config.Settings("127.0.0.1", other.port, "", code))
            scene.roots.append(root)
            app.dialog.fill("127.0.0.1", str(other.port), nick, "")
            app.dialog.submit()
            scene.wait(lambda: app.presenter.online, f"{nick} to log in")
            peers = [JsonPeer(other.port, friend) for friend in friends]
            scene.wait(lambda: app.presenter.user_count == 5, "the friends")
            peers[0].say({"ru": "Привет! Кто сделал задачу 3?\nУ меня цикл не кончается.",
                          "pt": "Olá! Alguém fez o exercício 3?\nO meu ciclo não acaba."}[code])
            scene.wait(lambda: " 3?" in app.messages.content(), "the message")
            type_line(app, {"ru": "Проверь i += 1 внутри while 😉",
                            "pt": "Vê o i += 1 dentro do while 😉"}[code])
            scene.spin(0.4)
            click_user_row(app, friends[1])
            scene.shoot(f"{12 if code == 'ru' else 13}-window-{code}", root)
            for friend in peers:
                friend.close()
            app.close()
            scene.roots.remove(root)
        i18n.set_language("en")
        other.process.terminate()
        other.process.wait(5)

        teacher.users.down_button.invoke()
        teacher.reason_dialog.reason.set("Lesson over, see you on Thursday!")
        scene.spin(0.3)
        scene.shoot("07-down-server-confirm", teacher.root)
        teacher.reason_dialog.ok_button.invoke()
        scene.wait(lambda: alice.presenter.state == "shutdown", "the shutdown notice")
        scene.wait(lambda: zoe.presenter.state == "shutdown", "the shutdown notice")
        scene.shoot("08-server-down", alice.root)
        server.stop()
        print(f"server exit status: {server.process.returncode}")
        for root in scene.roots:
            root.destroy()
        return 0
    finally:
        if server is not None and server.process.poll() is None:
            server.process.terminate()
        xvfb.terminate()
        xvfb.wait(5)
        shutil.rmtree(fbdir, ignore_errors=True)
        shutil.rmtree(config_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
