"""Two real desktop clients under Xvfb in a lesson against the server process: one is
`run_client.py` as a process of its own, the other a ChatApp driven in this process
(as tests/desktop_client/test_gui.py does), with its link through the freezable relay."""

import os
import subprocess
import sys
import time
import types

from tests.desktop_client.helpers import pane, start_app, type_and_enter, user_rows
from tests.desktop_client.helpers import wait_for as tk_wait
from tests.lesson.harness import source
from tests.support import ROOT

HEARTBEAT = 1.0


def online_for(student) -> set:
    """Who `student` sees online: its welcome's users, then every join and leave."""
    users = set(student.welcome["users"])
    for frame in student.frames[student.frames.index(student.welcome):]:
        if frame["type"] == "joined":
            users.add(frame["nick"])
        elif frame["type"] == "left":
            users.discard(frame["nick"])
    return users


def start_desktop_process(port: int, nick: str, folder) -> subprocess.Popen:
    folder.mkdir()
    env = {**os.environ, "CLASSCHAT_CONFIG_DIR": str(folder)}
    log = open(folder / "client.log", "w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run_client.py"), "--host", "127.0.0.1",
         "--port", str(port), "--nick", nick, "--geometry", "880x580+0+0"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = folder / "client.log"
    log.close()
    return process


def test_two_desktop_clients_live_through_a_dead_link_a_restart_and_a_kick_within_40_s(
        display, root, config_dir, servers, relays, people, tmp_path):
    started = time.monotonic()
    server = servers("--heartbeat", str(HEARTBEAT), "--resume-grace", "30",
                     "--rate-limit", "0")
    relay = relays(server.port)
    teacher = people.student(server.port, "Teacher", source(2))
    assert teacher.login(server.password)["admin"] is True
    anna = people.student(server.port, "Anna", source(3))
    anna.login()
    nina = people.text(server.port, source(4))
    nina.login("nina")
    desk = start_desktop_process(server.port, "Desk", tmp_path / "desk")
    try:
        anna.next("joined", nick="Desk", timeout=20)
        pad = start_app(root, types.SimpleNamespace(port=relay.port), "Pad")
        anna.next("joined", nick="Pad")
        tk_wait(root, lambda: {"Anna", "Desk", "nina", "Teacher"} <=
                {row.split()[0].lstrip("★") for row in user_rows(pad)},
                what="everyone in Pad's list")

        # Chatting both ways, in several scripts.
        anna.say("Good morning, desks! Доброе утро 👋")
        tk_wait(root, lambda: "Доброе утро 👋" in pane(pad), what="Anna's line in Pad")
        type_and_enter(root, pad, "Hello from the Tk window, ça va?")
        assert anna.next("msg", from_="Pad")["text"] == "Hello from the Tk window, ça va?"
        nina.wait(lambda line: "Pad: Hello from the Tk window" in line, what="Pad's line")

        # Pad's link dies without a word; Pad keeps typing.
        anna_mark, nina_mark = len(anna.frames), len(nina.lines)
        relay.freeze()
        frozen_at = time.monotonic()
        anna.say("Pad, page 42 (said while your link was down)", to="Pad")
        anna.say("Everyone: page 42")
        type_and_enter(root, pad, "typed while my link was dead")
        tk_wait(root, lambda: anna.all("msg", text="typed while my link was dead"),
                timeout=15, what="Pad's message after its resume")
        back_in = time.monotonic() - frozen_at
        tk_wait(root, lambda: "Everyone: page 42" in pane(pad)
                and "said while your link was down" in pane(pad), what="what Pad missed")
        anna.say("sentinel after the resume")
        tk_wait(root, lambda: "sentinel after the resume" in pane(pad), what="the sentinel")
        text = pane(pad)
        for line in ("Everyone: page 42", "said while your link was down",
                     "typed while my link was dead"):
            assert text.count(line) == 1, f"Pad shows {line!r} {text.count(line)} times"
        assert len(anna.all("msg", text="typed while my link was dead")) == 1
        shown = [f for f in anna.frames[anna_mark:]
                 if f["type"] in ("left", "joined") and f["nick"] == "Pad"]
        assert shown == [], f"Anna saw Pad leave or come back: {shown}"
        assert not [line for line in nina.lines[nina_mark:] if line.startswith("* Pad ")]
        assert back_in < 15
        relay.thaw()

        # SIGTERM and a restart: both desktop clients come back by themselves.
        assert server.terminate() == 0
        before_stop = pane(pad)
        tk_wait(root, lambda: str(pad.presenter.state) == "shutdown", what="Pad told of "
                "the shutdown (not a lost link)")
        assert "server" in pane(pad)[len(before_stop):].lower(), "no note in Pad's pane"
        server.start()
        anna = people.student(server.port, "Anna", source(3))
        assert anna.login()["type"] == "welcome"
        tk_wait(root, lambda: {"Desk", "Pad"} <= online_for(anna), timeout=15,
                what="both desktop clients back after the restart")
        tk_wait(root, lambda: pad.presenter.online, what="Pad online")
        type_and_enter(root, pad, "back after the restart")
        tk_wait(root, lambda: anna.all("msg", text="back after the restart"),
                what="Pad's message after the restart")

        # A kick without a ban: the desktop process reads its `bye` and stays out.
        teacher = people.student(server.port, "Teacher", source(2))
        assert teacher.login(server.password)["admin"] is True
        teacher.send({"type": "kick", "nick": "Desk", "minutes": 0, "reason": "break"})
        left = anna.next("left", nick="Desk")
        assert left["reason"] == "kicked", left
        deadline = time.monotonic() + 3.0      # past the first retries (1 s, 2 s)
        while time.monotonic() < deadline:
            root.update()
            time.sleep(0.02)
        assert "Desk" not in online_for(anna), "a kicked desktop client logged in again"
        assert desk.poll() is None, "the kicked client's window closed by itself"
        pad.close()
        anna.next("left", nick="Pad")
    finally:
        desk.terminate()
        try:
            status = desk.wait(10)
        except subprocess.TimeoutExpired:
            desk.kill()
            desk.wait()
            status = "killed"
    assert status == 0, desk.log_path.read_text()[-2000:]
    assert time.monotonic() - started < 40
