"""The real window under Xvfb against the real server on 127.0.0.1."""

import socket
import time

import pytest

from desktop_client import config
from tests.desktop_client.helpers import (
    click_user, pane, spin, start_app, type_and_enter, user_rows, wait_for,
)
from tests.support import Peer, run_server


@pytest.fixture
def srv():
    with run_server(admin_password="pw", rate_limit=0) as server:
        yield server


def peer(srv, nick, password=None):
    p = Peer(srv.port)
    p.login(nick, password)
    return p


# ---- the connect dialog -------------------------------------------------------------

def test_dialog_connects_focuses_input_and_remembers(root, srv, config_dir):
    app = start_app(root, srv)
    dialog = app.dialog
    dialog.host.set("127.0.0.1")
    dialog.port.set(str(srv.port))
    dialog.nick.set("alice")
    dialog.connect_button.invoke()
    wait_for(root, lambda: app.presenter.online, what="the welcome")
    assert app.chat.winfo_ismapped() and not dialog.winfo_ismapped()
    # The widget that has the keyboard focus whenever this window is focused
    # (there is no window manager under Xvfb to give the window itself the focus).
    assert root.focus_lastfor() is app.input.entry
    saved = config.load()
    assert (saved.host, saved.port, saved.nick) == ("127.0.0.1", srv.port, "alice")
    assert "pw" not in (config_dir / "client.json").read_text()


def test_dialog_shows_taken_nick_and_keeps_what_was_typed(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv)
    app.dialog.host.set("127.0.0.1")
    app.dialog.port.set(str(srv.port))
    app.dialog.nick.set("BOB")
    app.dialog.submit()
    wait_for(root, lambda: "taken" in app.dialog.message.get(), what="the nick_taken message")
    assert app.dialog.winfo_ismapped() and not app.presenter.online
    assert app.dialog.nick.get() == "BOB" and app.dialog.port.get() == str(srv.port)
    assert str(app.dialog.connect_button["state"]) != "disabled"
    # Fix the nick and try again from the same dialog.
    app.dialog.nick.set("robert")
    app.dialog.submit()
    wait_for(root, lambda: app.presenter.online, what="the second login")
    assert bob.expect("joined")["nick"] == "robert"


def test_dialog_shows_wrong_password_and_invalid_nick(root, srv):
    app = start_app(root, srv)
    app.dialog.port.set(str(srv.port))
    app.dialog.host.set("127.0.0.1")
    app.dialog.nick.set("every one")
    app.dialog.submit()
    assert app.dialog.message.get() == "Nicknames can't contain spaces."   # before connecting
    app.dialog.nick.set("teacher")
    app.dialog.password.set("nope")
    app.dialog.submit()
    wait_for(root, lambda: "Wrong admin password" in app.dialog.message.get(),
             what="the bad_password message")
    assert app.dialog.password.get() == "nope"


def test_dialog_shows_unreachable_server(root):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    app = start_app(root)
    app.dialog.host.set("127.0.0.1")
    app.dialog.port.set(str(free_port))
    app.dialog.nick.set("alice")
    app.dialog.submit()
    wait_for(root, lambda: "No chat server" in app.dialog.message.get(),
             what="the unreachable-server message")
    assert app.dialog.winfo_ismapped()


# ---- the main window ---------------------------------------------------------------------

def test_welcome_fills_user_list_and_history(root, srv):
    bob = peer(srv, "bob")
    bob.send({"type": "msg", "text": "first, before alice came"})
    bob.expect("msg")
    app = start_app(root, srv, "alice")
    rows = user_rows(app)
    assert rows == ["Everyone", "alice (you)", "bob"]
    text = pane(app)
    assert text.index("Earlier messages") < text.index("first, before alice came") \
        < text.index("Now")
    assert "earlier" in app.messages.text.tag_names(
        app.messages.text.search("first, before", "1.0"))
    assert app.input.recipient_text() == "To: Everyone"


def test_join_and_leave_update_the_list(root, srv):
    app = start_app(root, srv, "alice")
    carol = peer(srv, "carol")
    wait_for(root, lambda: "carol" in user_rows(app), what="carol in the list")
    assert "carol joined" in pane(app)
    carol.send({"type": "logout"})
    wait_for(root, lambda: "carol" not in user_rows(app), what="carol gone from the list")
    assert "carol left" in pane(app)


def test_click_user_then_enter_sends_private(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "alice")
    click_user(root, app, "bob")
    assert app.presenter.recipient == "bob"
    assert app.input.recipient_text() == "To: bob"
    type_and_enter(root, app, "just for you")
    frame = bob.expect("msg")
    assert (frame["from"], frame["to"], frame["text"]) == ("alice", "bob", "just for you")
    wait_for(root, lambda: "you → bob" in pane(app), what="the private echo")
    assert app.input.text() == ""
    # Clicking Everyone goes back to public.
    click_user(root, app, None)
    assert app.input.recipient_text() == "To: Everyone"
    type_and_enter(root, app, "hello all")
    frame = bob.expect("msg")
    assert frame["to"] is None and frame["text"] == "hello all"


def test_typed_to_flag_sends_private(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "alice")
    type_and_enter(root, app, "-to bob psst")
    frame = bob.expect("msg")
    assert (frame["to"], frame["text"]) == ("bob", "psst")
    assert app.presenter.recipient is None        # a one-off, the choice is unchanged
    type_and_enter(root, app, "-all  to everyone ")
    assert bob.expect("msg")["to"] is None


def test_typed_flags_help_users_whoami_and_usage(root, srv):
    app = start_app(root, srv, "alice")
    type_and_enter(root, app, "-help")
    assert "-to NICK TEXT" in pane(app)
    type_and_enter(root, app, "-users")
    wait_for(root, lambda: "Online (1): alice" in pane(app), what="the users answer")
    type_and_enter(root, app, "-whoami")
    wait_for(root, lambda: "You are alice." in pane(app), what="the whoami answer")
    type_and_enter(root, app, "-to bob")
    assert "Usage: -to NICK TEXT" in pane(app)
    assert app.input.text() == "-to bob"      # kept, so it can be fixed


def test_incoming_public_private_and_system_events(root, srv):
    app = start_app(root, srv, "alice")
    bob = peer(srv, "bob")
    bob.send({"type": "msg", "text": "hello class"})
    bob.send({"type": "msg", "text": "secret", "to": "alice"})
    bob.send({"type": "msg", "text": "x", "to": "nobody"})
    wait_for(root, lambda: "secret" in pane(app), what="the private message")
    text = pane(app)
    assert "bob: hello class" in text
    assert "bob → you" in text
    t = app.messages.text
    assert "private" in t.tag_names(t.search("secret", "1.0"))
    assert "notice" in t.tag_names(t.search("bob joined", "1.0"))
    bob.close()
    wait_for(root, lambda: "bob disconnected" in pane(app), what="the disconnect notice")


def test_emoji_and_any_unicode_never_crash(root, srv):
    app = start_app(root, srv, "Zoë")
    deseret = peer(srv, "𐐷𐐯𐑆")           # letters outside the BMP
    deseret.send({"type": "msg", "text": "hi 😀 👨‍👩‍👧 Привет ✓ 𝐀 \u202e reversed"})
    wait_for(root, lambda: "Привет" in pane(app), what="the emoji message")
    assert "😀" in pane(app) or "[U+1F600]" in pane(app)
    assert any("𐐷𐐯𐑆" in row or "[U+" in row for row in user_rows(app))
    click_user(root, app, app.presenter.users[0] if app.presenter.users[0] != "Zoë"
               else app.presenter.users[1])
    type_and_enter(root, app, "back at you 🎉")
    deseret.expect("msg")                            # the echo of its own message
    assert deseret.expect("msg")["text"] == "back at you 🎉"
    wait_for(root, lambda: "back at you" in pane(app), what="the echo")
    assert root.title() == "ClassChat — Zoë"     # a non-ASCII nick in the title too


def test_unread_private_messages_show_in_title(root, srv):
    app = start_app(root, srv, "alice")
    bob = peer(srv, "bob")
    app.presenter.set_focused(False)      # no window manager under Xvfb to take focus away
    bob.send({"type": "msg", "text": "one", "to": "alice"})
    bob.send({"type": "msg", "text": "two", "to": "alice"})
    bob.send({"type": "msg", "text": "public"})
    wait_for(root, lambda: "(2 private)" in root.title(), what="the unread count")
    root.focus_force()
    wait_for(root, lambda: "private" not in root.title(), what="the count to clear")


def test_flood_never_freezes_the_window(root, srv):
    app = start_app(root, srv, "alice")
    bob = peer(srv, "bob")
    for i in range(1500):
        bob.send({"type": "msg", "text": f"flood {i}"})
    slowest = 0.0
    end = time.monotonic() + 20
    while "flood 1499" not in pane(app) and time.monotonic() < end:
        start = time.monotonic()
        root.update()
        slowest = max(slowest, time.monotonic() - start)
        time.sleep(0.001)
    assert "flood 1499" in pane(app)
    assert slowest < 0.5, f"one round of the Tk loop took {slowest:.2f} s"


# ---- faults ------------------------------------------------------------------------------

def test_shutdown_is_shown_and_the_window_survives(root, srv):
    app = start_app(root, srv, "alice")
    teacher = peer(srv, "teacher", "pw")
    teacher.send({"type": "down", "reason": "lesson is over"})
    wait_for(root, lambda: app.presenter.state == "shutdown", what="the shutdown")
    spin(root, 0.3)   # the socket closes too; nothing may break
    expected = "teacher shut the server down: lesson is over."
    assert app.banner.shown() and expected in app.banner.text()
    # Said loudly once (the strip); the pane only notes it, grey and quiet.
    tags = app.messages.tags_at(expected)
    assert "notice" in tags and "error" not in tags
    assert "Reconnecting" in app.banner.text()
    # The box still takes messages: they wait in the outbox for the server to be back.
    type_and_enter(root, app, "see you after the restart")
    assert app.input.text() == ""
    assert app.input.note_text()
    assert "1 message waiting to send" in app.input.note_text()
    assert root.winfo_exists()
    assert "(offline)" in root.title()


def test_lost_connection_is_shown_and_reconnect_works(root, fast_retry):
    with run_server(admin_password="pw") as first:
        port = first.port
        app = start_app(root, first, "alice")
        # Kill the connection under the client without a goodbye (the server stays up).
        sock = app.connection._sock
        sock.shutdown(socket.SHUT_RDWR)
        wait_for(root, lambda: app.banner.shown()
                 and "Connection lost" in app.banner.text(), what="the lost-connection banner")
        wait_for(root, lambda: app.presenter.online, timeout=8, what="the automatic reconnect")
        # Resumed: the pane goes on as it was, no second welcome.
        assert "Reconnected as alice" not in pane(app)
        assert pane(app).count("Welcome, alice!") == 1
        assert not app.banner.shown()
        assert port == app.settings.port


def test_server_gone_then_reconnect_button(root):
    with run_server(admin_password="pw") as first:
        app = start_app(root, first, "alice")
        first.server.request_shutdown("server", "")
        wait_for(root, lambda: app.presenter.state == "shutdown", what="the shutdown")
    wait_for(root, lambda: "Reconnecting in" in app.banner.text(), what="the countdown")
    assert "The server stopped. Reconnecting in " in app.banner.text()
    assert "The server stopped." in pane(app)
    app.banner.reconnect_button.invoke()   # at once: the server is gone, so it fails ...
    wait_for(root, lambda: app.presenter.backoff.attempt >= 2, what="a failed retry")
    assert app.presenter.state == "shutdown" and app._retry_at is not None   # ... and goes on
    assert root.winfo_exists()


# ---- admin ---------------------------------------------------------------------------------

def badge(app, nick):
    """Which image the user list shows before `nick`: "star", "blank" or None."""
    image = app.users.tree.item(app.users.iid_of(nick), "image")
    name = str(image[0]) if image else ""
    return {str(app.users.admin_badge): "star", str(app.users.no_badge): "blank"}.get(name)


def test_admins_are_marked_in_a_students_list(root, srv, fast_retry):
    teacher = peer(srv, "teacher", "pw")
    app = start_app(root, srv, "alice")
    # Already online when alice came (welcome.admins).
    assert user_rows(app) == ["Everyone", "teacher (admin)", "alice (you)"]
    assert (badge(app, "teacher"), badge(app, "alice")) == ("star", "blank")
    # Joining as an admin (joined.admin) and as a student.
    mod = peer(srv, "mod", "pw")
    bob = peer(srv, "bob")
    wait_for(root, lambda: "bob" in user_rows(app), what="bob in the list")
    assert user_rows(app) == ["Everyone", "mod (admin)", "teacher (admin)", "alice (you)", "bob"]
    assert "2 joined: mod (admin), bob" in pane(app) and badge(app, "bob") == "blank"
    # The users answer (users.admins) says the same.
    type_and_enter(root, app, "-users")
    wait_for(root, lambda: "Online (4): mod (admin), teacher (admin), alice, bob" in pane(app),
             what="the users answer")
    # An admin leaves: the mark goes with them. (The server keeps an admin's nick
    # for admins, so it cannot come back as a student.)
    mod.send({"type": "logout"})
    wait_for(root, lambda: "mod (admin)" not in user_rows(app), what="mod to leave")
    assert badge(app, "bob") == "blank" and badge(app, "teacher") == "star"
    # After a reconnect the marks come back from the new welcome.
    app.connection._sock.shutdown(socket.SHUT_RDWR)
    wait_for(root, lambda: not app.presenter.online, what="the lost connection")
    assert user_rows(app) == ["Everyone"]
    wait_for(root, lambda: app.presenter.online, timeout=8, what="the automatic reconnect")
    assert user_rows(app) == ["Everyone", "teacher (admin)", "alice (you)", "bob"]
    assert badge(app, "teacher") == "star"
    for p in (teacher, bob, mod):
        p.close()


def test_admin_kicks_through_the_gui(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "teacher", "pw")
    assert app.users.admin_shown()
    assert "teacher (you, admin)" in user_rows(app)
    # The star and the bold label fit the list's column (nothing cut off).
    tree = app.users.tree
    needed = app.fonts.bold.measure("teacher (you, admin)") + app.users.admin_badge.width()
    assert needed + 8 <= tree.column("#0", "width") <= tree.winfo_width()
    assert "disabled" in app.users.kick_button.state()   # nobody picked yet
    click_user(root, app, "bob")
    app.users.kick_button.invoke()
    dialog = app.reason_dialog
    assert dialog is not None and dialog.winfo_exists()
    dialog.reason.set("be nice")
    dialog.ok_button.invoke()
    bye = bob.expect("bye")
    assert (bye["reason"], bye.get("message")) == ("kicked", "be nice")
    wait_for(root, lambda: "bob was removed by teacher: be nice" in pane(app),
             what="the kick notice")
    assert "bob" not in user_rows(app)
    assert app.input.recipient_text() == "To: Everyone"


def test_admin_cancel_does_nothing_and_shutdown_through_gui(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "teacher", "pw")
    bob.expect("joined")
    app.users.down_button.invoke()
    app.reason_dialog.cancel_button.invoke()
    assert bob.nothing_within(0.3)
    app.users.down_button.invoke()
    app.reason_dialog.reason.set("see you tomorrow")
    app.reason_dialog.ok_button.invoke()
    frame = bob.expect("shutdown")
    assert (frame["by"], frame["reason"]) == ("teacher", "see you tomorrow")
    wait_for(root, lambda: app.presenter.state == "shutdown", what="the shutdown")
    assert "You shut the server down: see you tomorrow." in app.banner.text()


def test_non_admin_never_sees_admin_actions(root, srv):
    app = start_app(root, srv, "alice")
    spin(root, 0.1)
    assert not app.users.admin_shown()
    app.ask_down()
    app.ask_kick()
    assert app.reason_dialog is None


# ---- leaving -------------------------------------------------------------------------------

def test_closing_the_window_logs_out_cleanly(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "alice")
    bob.expect("joined")
    app.close()
    left = bob.expect("left")
    assert (left["nick"], left["reason"]) == ("alice", "quit")


def test_typed_exit_logs_out_and_closes(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "alice")
    bob.expect("joined")
    type_and_enter(root, app, "-exit")
    left = bob.expect("left")
    assert left["reason"] == "quit"
    end = time.monotonic() + 3
    while app._closed is False and time.monotonic() < end:
        root.update()
    assert app._closed


def test_odd_frames_from_the_server_are_skipped_not_fatal(root):
    """A fake server sends a malformed message among good ones; the window carries on."""
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve():
        conn, _ = listener.accept()
        conn.recv(1000)
        conn.sendall(b'{"type":"welcome","nick":"a","users":["a"],"admin":false,'
                     b'"history":[],"server":"fake"}\n'
                     b'{"type":"msg","id":1,"ts":"soon","from":null,"to":null,"text":"odd"}\n'
                     b'{"type":"msg","id":2,"ts":0,"from":"b","to":null,"text":"\\ud800 ok"}\n'
                     b'{"type":"joined"}\n')
        time.sleep(1)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    app = start_app(root)
    app.connect("127.0.0.1", listener.getsockname()[1], "a", None)
    wait_for(root, lambda: "\ufffd ok" in pane(app), what="the good message after the odd one")
    text = pane(app)
    assert "unreadable (bad_frame)" in text
    wait_for(root, lambda: "lost" in app.banner.text(), what="the end of the fake server")
    listener.close()
