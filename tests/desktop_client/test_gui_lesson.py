"""A real lesson never locks anyone out or loses a message: the real window under Xvfb
against the real server, through dead links, restarts, kicks and the teacher's order."""

import os
import select
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from server.loop import ChatServer
from server.settings import Settings
from tests.desktop_client.helpers import (
    pane, screenshot, spin, start_app, type_and_enter, user_rows, wait_for,
)
from tests.support import Collector, Peer

FAST = dict(heartbeat=1.0, resume_grace=30.0, rate_limit=0, prompt_after=5.0)


class Server:
    """The real server in a thread, on a port of our choice (so it can be restarted)."""

    def __init__(self, port: int = 0, **settings):
        settings = {"admin_password": "pw", **FAST, **settings}
        self.server = ChatServer(replace(Settings(), host="127.0.0.1", port=port, **settings))
        self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.request_shutdown("server", "")
        self.thread.join(10)


@pytest.fixture
def srv():
    server = Server()
    yield server
    server.stop()


def peer(port, nick, password=None):
    p = Peer(port)
    p.login(nick, password)
    return p


class Relay:
    """A TCP relay on 127.0.0.1 that can freeze: it then stops forwarding on every open
    link without closing anything (a pulled cable). New connections made while frozen
    are held, never forwarded, and closed at the thaw; later ones are forwarded again."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.frozen = False
        self.dead: set = set()      # links frozen for good
        self.held: list = []
        self.sockets: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.frozen = True
        self.dead.update(id(s) for s in self.sockets)

    def thaw(self) -> None:
        self.frozen = False
        for conn in self.held:
            conn.close()
        self.held.clear()

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets + self.held:
            s.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if self.frozen:
                self.held.append(conn)
                continue
            try:
                up = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                conn.close()
                continue
            self.sockets += [conn, up]
            threading.Thread(target=self._pump, args=(conn, up), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        while True:
            if id(a) in self.dead:
                time.sleep(0.05)       # frozen: read nothing, close nothing
                continue
            try:
                ready, _, _ = select.select([a, b], [], [], 0.05)
                for src in ready:
                    if id(src) in self.dead:
                        break
                    data = src.recv(65536)
                    if not data:
                        a.close(), b.close()
                        return
                    (b if src is a else a).sendall(data)
            except (OSError, ValueError):
                return


def shots(tmp_path) -> Path:
    return Path(os.environ.get("CLASSCHAT_SHOT_DIR", tmp_path))


# ---- frames ---------------------------------------------------------------------------

def test_a_welcome_over_8_kib_is_shown(root, srv):
    bob = peer(srv.port, "bob")
    for i in range(60):
        bob.send({"type": "msg", "text": f"line {i:02d} " + "x" * 190})
    for _ in range(60):
        bob.expect("msg")
    app = start_app(root, srv, "alice")
    text = pane(app)
    assert "Earlier messages" in text and "line 59 " in text and "line 10 " in text
    assert len(text.encode()) > 8192


# ---- a link that dies silently ------------------------------------------------------------

def test_a_silently_dead_link_is_noticed_resumed_and_loses_nothing(root, srv, fast_retry,
                                                                    tmp_path):
    relay = Relay(srv.port)
    bob = peer(srv.port, "bob")
    heard = Collector(bob)
    app = start_app(root, None, host="127.0.0.1")
    app.connect("127.0.0.1", relay.port, "alice", None)
    wait_for(root, lambda: app.presenter.online, what="alice to log in")
    type_and_enter(root, app, "before the cable was pulled")
    heard.wait_for(lambda f: any(x.get("text") == "before the cable was pulled" for x in f))
    relay.freeze()
    type_and_enter(root, app, "typed into the dead link")
    assert app.input.text() == ""
    # Our own heartbeat notices (ping every second, no pong within a second of it).
    wait_for(root, lambda: app.presenter.state == "reconnecting", timeout=5,
             what="the client to take the link for dead")
    wait_for(root, lambda: "Connection lost — reconnecting in" in app.banner.text(),
             what="the strip to say so")
    assert app.banner.shown()
    type_and_enter(root, app, "typed while reconnecting")
    wait_for(root, lambda: "2 messages waiting to send" in app.input.note_text(),
             what="the outbox note")
    screenshot(root, shots(tmp_path) / "reconnecting.png")
    assert srv.server.room is not None
    spin(root, 1.0)                      # attempts meanwhile go nowhere (held by the relay)
    assert not app.presenter.online
    relay.thaw()
    wait_for(root, lambda: app.presenter.online, timeout=8, what="the resume")
    wait_for(root, lambda: "typed while reconnecting" in pane(app), what="the echoes")
    spin(root, 0.5)
    texts = [f.get("text") for f in heard.frames if f.get("type") == "msg"]
    assert texts.count("typed into the dead link") == 1
    assert texts.count("typed while reconnecting") == 1
    assert texts.index("typed into the dead link") < texts.index("typed while reconnecting")
    text = pane(app)
    assert text.count("typed into the dead link") == 1
    assert text.count("Welcome, alice!") == 1 and "Reconnected" not in text   # resumed
    assert not any(f.get("type") == "left" for f in heard.frames)   # nobody was told
    assert not app.banner.shown() and app.input.note_text() == "" \
        or not app.input.note_text()
    relay.close()
    bob.close()


# ---- a restart --------------------------------------------------------------------------------

def test_the_client_comes_back_by_itself_after_a_restart(root, fast_retry):
    first = Server()
    port = first.port
    bob = peer(port, "bob")
    bob.send({"type": "msg", "text": "said before the restart"})
    app = start_app(root, first, "alice")
    first.stop()
    wait_for(root, lambda: "The server stopped. Reconnecting" in app.banner.text(),
             what="the stopped strip")
    type_and_enter(root, app, "typed while the server was down")
    spin(root, 0.8)                                   # a few attempts fail meanwhile
    second = Server(port=port)
    try:
        carol = peer(port, "carol")
        wait_for(root, lambda: app.presenter.online, timeout=8, what="the automatic login")
        assert carol.expect("msg")["text"] == "typed while the server was down"
        text = pane(app)
        assert "Reconnected as alice" in text
        assert text.count("said before the restart") == 1
        assert user_rows(app) == ["Everyone", "alice (you)", "carol"]
        carol.close()
    finally:
        second.stop()
        bob.close()


# ---- kicked --------------------------------------------------------------------------------

def test_kicked_never_reconnects_and_says_who_why_and_how_long(root, srv, fast_retry):
    teacher = peer(srv.port, "teacher", "pw")
    app = start_app(root, srv, "alice")
    teacher.send({"type": "kick", "nick": "alice", "reason": "phones away", "minutes": 5})
    wait_for(root, lambda: app.presenter.state == "kicked", what="the kick")
    spin(root, 1.5)                                   # several back-offs' worth of time
    assert app.presenter.state == "kicked" and app.connection is None
    assert app._retry_at is None
    text = app.banner.text()
    assert "You were removed by an admin: phones away" in text and "5 minutes" in text
    assert not app.banner.can_reconnect()
    assert not app.input.enabled()
    teacher.send({"type": "users"})
    assert "alice" not in teacher.expect("users")["users"]
    teacher.close()


# ---- the teacher's order ------------------------------------------------------------------------

def test_the_teachers_order_from_the_menu(root, srv, tmp_path):
    bob = peer(srv.port, "bob")
    carol = peer(srv.port, "carol")
    app = start_app(root, srv, "Mr.Smith", "pw")
    bob.send({"type": "msg", "text": "what is the homework?"})
    wait_for(root, lambda: "homework" in pane(app), what="bob's question")
    type_and_enter(root, app, "Page 12, everyone.")
    wait_for(root, lambda: "★ you" in pane(app) or "★ Mr.Smith" in pane(app),
             what="the teacher's own line, marked")
    # Right click on bob's row.
    tree = app.users.tree
    iid = app.users.iid_of("bob")
    x, y, _, h = tree.bbox(iid)
    tree.event_generate("<Button-3>", x=x + 20, y=y + h // 2,
                        rootx=tree.winfo_rootx() + x + 20, rooty=tree.winfo_rooty() + y + h // 2)
    spin(root, 0.2)
    assert app.menu_labels() == ["Kick bob…", "Mute bob", "—", "Mute the class",
                                 "Slow mode…", "Bans…"]
    screenshot(root, shots(tmp_path) / "teacher-menu.png")
    app.user_menu.unpost()
    app.user_menu.invoke(1)                              # Mute bob
    assert bob.expect("notice")["text"]
    wait_for(root, lambda: "bob (muted)" in user_rows(app), what="bob shown muted")
    bob.send({"type": "msg", "text": "can I speak?"})
    assert bob.expect("error")["code"] == "muted"
    app.users.mute_class_button.invoke()                 # the class, from the admin box
    wait_for(root, lambda: "only admins can write" in app.room.cget("text"),
             what="the room line")
    assert app.users.mute_class_button.cget("text") == "Unmute the class"
    app.users.slow_button.invoke()
    app.slow_dialog.seconds.set("30")
    app.slow_dialog.ok_button.invoke()
    wait_for(root, lambda: "one message every 30 s" in app.room.cget("text"),
             what="slow mode in the room line")
    # Kick carol for 10 minutes (the default), then lift the ban from the Bans dialog.
    app.ask_kick("carol")
    assert app.reason_dialog.minutes.get() == "10"
    app.reason_dialog.reason.set("shouting")
    app.reason_dialog.ok_button.invoke()
    assert carol.expect("bye")["minutes"] == 10
    app.users.bans_button.invoke()
    wait_for(root, lambda: any("carol" in t for t in app.bans_dialog.texts()),
             what="the ban list")
    app.bans_dialog.lift_buttons[0].invoke()
    wait_for(root, lambda: app.bans_dialog.texts() == ["Nobody is kept out."],
             what="the ban to be lifted")
    peer(srv.port, "carol").close()                      # carol may come back at once
    bob.close()


def test_a_muted_student_sees_it_and_keeps_reading(root, srv):
    teacher = peer(srv.port, "teacher", "pw")
    app = start_app(root, srv, "alice")
    type_and_enter(root, app, "draft I had typed")
    teacher.send({"type": "mute", "nick": "alice"})
    wait_for(root, lambda: not app.input.enabled(), what="the box to close")
    assert app.input.showing() == ("You are muted: you can read, but not write. "
                                   "Click the teacher's name to ask privately.")
    wait_for(root, lambda: "muted" in pane(app), what="the notice")
    teacher.send({"type": "msg", "text": "listen now"})
    wait_for(root, lambda: "★ teacher: listen now" in pane(app), what="the teacher's line")
    teacher.send({"type": "unmute", "nick": "alice"})
    wait_for(root, lambda: app.input.enabled(), what="the box to open")
    assert app.input.text() == ""
    teacher.close()


def test_a_refused_password_on_reconnect_asks_and_can_join_as_a_student(root, fast_retry):
    first = Server()
    port = first.port
    app = start_app(root, first, "teacher", "pw")
    first.stop()
    second = Server(port=port, admin_password="changed")
    try:
        wait_for(root, lambda: app.password_dialog is not None, timeout=8,
                 what="the password dialog")
        assert app.presenter.state == "refused"
        spin(root, 1.0)
        assert app.presenter.state == "refused" and app.connection is None   # no retry
        app.password_dialog.student_button.invoke()
        wait_for(root, lambda: app.presenter.online, what="the login as a student")
        assert not app.presenter.admin and not app.users.admin_shown()
    finally:
        second.stop()
