"""Issue 9: a window a whole class can read. The presenter's rules without a window,
then the real window under Xvfb against the real server."""

import queue
import socket
import threading
import time

import pytest

from desktop_client import i18n, presenter as p
from desktop_client.net import Connection
from protocol.events import Error, Joined, Left, Login, Message, Mute, Say, Unban, Unmute, Welcome
from tests.desktop_client.helpers import pane, spin, start_app, type_and_enter, user_rows, wait_for
from tests.support import Peer, run_server


def online(nick="alice", users=("alice", "bob"), admin=False):
    view = p.Presenter()
    view.now_ms = lambda: 0
    view.connecting(nick)
    view.apply(Welcome(nick, users, admin, (), "s", seq=1))
    view.effects()
    return view


# ---- without a window ------------------------------------------------------------------

def test_user_list_sorts_as_a_person_expects_admins_on_top():
    view = online(users=("alice", "Zoë", "élodie", "Борис", "eve", "bob", "Mr.Smith"))
    view.apply(Joined("Émile", 0))
    view.admins.add("mr.smith")
    view._set_users(view.users, view.admins)
    assert view.users == ["Mr.Smith", "alice", "bob", "élodie", "Émile", "eve", "Zoë", "Борис"]


def test_20000_joins_are_bisected_not_resorted():
    view = online(users=tuple(f"s{i:05d}" for i in range(1000)) + ("alice",))
    view.take_user_ops()
    start = time.perf_counter()
    for i in range(20000):
        view.apply(Joined(f"new{i}", i))
    took = time.perf_counter() - start
    assert view.user_count == 21001 and took < 2.0, took
    assert view.users[:2] == ["alice", "new0"]
    ops = view.take_user_ops()
    assert ops == [("reset",)]           # more than the view should apply one by one
    view.apply(Left("new5", "quit", 0))
    assert view.take_user_ops()[0][0] == "delete"


def test_a_burst_of_joins_is_one_quiet_line_a_single_one_its_own():
    view = online()
    first = view.apply(Joined("anna", 0))[0]
    assert first.text.endswith("anna joined") and first.kind == "notice"
    names = ["ben", "carl", "dana", "eve", "fred", "gus", "hal", "ida", "jo", "kim", "lu"]
    for name in names:
        last = view.apply(Joined(name, 1000))[0]
    assert last.key == first.key                     # the same line, grown in place
    assert last.text.endswith("12 joined: anna, ben, carl, dana, eve and 7 more")
    view.apply(Message(5, 0, "bob", None, "hi"))     # something said: the digest ends
    alone = view.apply(Joined("zed", 2000))[0]
    assert alone.key != first.key and alone.text.endswith("zed joined")
    gone = [view.apply(Left(n, "quit", 3000))[0] for n in ("anna", "ben")]
    assert gone[1].text.endswith("2 left: anna, ben") and gone[0].key == gone[1].key


def test_multi_line_messages_keep_their_lines_and_are_capped():
    view = online()
    result = view.read_input("first line\nsecond\n\nfourth")
    assert result.command.text == "first line\nsecond\n\nfourth"
    too_many = view.read_input("\n".join(["x"] * 21))
    assert too_many.command is None and not too_many.clear
    assert "at most 20 lines" in too_many.lines[0].text
    line = view.apply(Message(9, 0, "bob", None, "a\nb\nc"))[0]
    conts = [part for part, tags in line.parts if "cont" in tags]
    assert conts == ["b", "c"]
    huge = view.apply(Message(10, 0, "bob", None, "\n".join(["y"] * 500)))[0]
    assert huge.text.count("\n") == p.MAX_LINES - 1


def test_pending_then_sent_or_not_sent_with_retry():
    view = online()
    result = view.read_input("hello")
    pending, = result.lines
    assert pending.state == "pending" and "sending…" in pending.text and pending.key
    echo = view.apply(Message(7, 0, "alice", None, "hello", cid=result.command.cid))[0]
    assert echo.key == pending.key and echo.state == "sent" and echo.text.endswith("✓")
    second = view.read_input("again")
    failed, error = view.apply(Error("muted", "You are muted.", cid=second.command.cid))
    assert failed.state == "failed" and failed.key == second.lines[0].key
    action = next(tags[1] for _, tags in failed.parts if "action" in tags)
    retry_lines = view.run_action(action[4:])
    sent, = view.effects()[1:]              # [Restore, Send]
    assert isinstance(sent.command, Say) and sent.command.text == "again"
    assert retry_lines[0].key == failed.key and retry_lines[0].state == "pending"


def test_the_teachers_orders_can_be_undone_from_their_notice():
    view = online(nick="teacher", users=("teacher", "bob"), admin=True)
    assert view.mute_command("bob", True) == Mute("bob")
    from protocol.events import Notice
    line = view.apply(Notice("teacher muted bob.", 0))[0]
    action = next(tags[1] for _, tags in line.parts if "action" in tags)
    view.run_action(action[4:])
    assert view.effects() == [p.Send(Unmute("bob"))]
    view.kick_command("bob", "noise", 10)
    line = view.apply(Left("bob", "kicked", 0, "noise"))[0]
    assert line.text.endswith("Undo")
    view.run_action(next(t[1] for _, t in line.parts if "action" in t)[4:])
    assert view.effects() == [p.Send(Unban("bob"))]


def test_help_lists_only_what_the_app_does_in_columns():
    student = "\n".join(line.text for line in online().read_input("-help").lines)
    assert "-to NICK TEXT\t" in student and "-login" not in student and "-kick" not in student
    teacher = online(nick="t", users=("t",), admin=True)
    assert "-kick NICK [15m] [REASON]\t" in "\n".join(
        line.text for line in teacher.read_input("-help").lines)


def test_friendly_nick_errors():
    assert p.local_nick_problem("two words") == "Nicknames can't contain spaces."
    assert p.local_nick_problem("a@b") == "Nicknames can only use letters, digits, _ - and . (not “@”)."
    assert p.local_nick_problem("x" * 30) == "Nicknames can have at most 24 characters."
    assert "one alphabet" in p.local_nick_problem("Bоб")     # Latin B, Cyrillic о
    assert "reserved" in p.local_nick_problem("Everyone")
    assert p.local_nick_problem("élodie") is None


def test_a_welcome_that_makes_no_sense_is_refused_before_the_state_changes():
    view = p.Presenter()
    view.connecting("alice")
    assert view.apply(Welcome("mallory", ("mallory",), False, (), "s")) == []
    assert view.state == p.OFFLINE and view.me is None
    error = [e for e in view.effects() if isinstance(e, p.DialogError)][0]
    assert "ClassChat" in error.text


# ---- back-pressure ---------------------------------------------------------------------------

def test_a_flooding_server_fills_a_bounded_queue_and_the_reader_waits():
    listener = socket.create_server(("127.0.0.1", 0))
    line = b'{"type":"msg","id":1,"ts":0,"from":"b","to":null,"text":"' + b"x" * 100 + b'"}\n'
    sent = []

    def flood():
        conn, _ = listener.accept()
        conn.settimeout(5)
        try:
            for _ in range(100_000):          # 13 MB: far more than the queue and the buffers
                conn.sendall(line * 10)
                sent.append(1)
        except OSError:
            pass

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    events = queue.Queue(50)
    connection = Connection("127.0.0.1", listener.getsockname()[1], events)
    connection.start(Login("a"))
    time.sleep(1.0)
    assert events.full()                      # the reader stopped reading ...
    assert len(sent) < 100_000                # ... so the server's sends block, not our memory
    connection.close()
    connection._reader.join(2)
    assert not connection._reader.is_alive()  # close() frees a reader that waits on the queue
    listener.close()


# ---- the real window ----------------------------------------------------------------------------

@pytest.fixture
def srv():
    with run_server(admin_password="pw", rate_limit=0) as server:
        yield server


def peer(srv, nick, password=None):
    p_ = Peer(srv.port)
    p_.login(nick, password)
    return p_


def test_the_pane_follows_at_the_bottom_and_stays_put_when_scrolled_up(root, srv):
    app = start_app(root, srv, "alice")
    bob = peer(srv, "bob")
    for i in range(250):
        bob.send({"type": "msg", "text": f"burst {i}"})
    wait_for(root, lambda: "burst 249" in pane(app), what="the burst")
    spin(root, 0.1)
    assert app.messages.at_bottom()
    root.geometry("880x520")                  # 60 px shorter
    spin(root, 0.2)
    assert app.messages.at_bottom()
    bob.close()                               # a line and a list change while at the bottom
    wait_for(root, lambda: "bob disconnected" in pane(app), what="bob to leave")
    spin(root, 0.1)
    assert app.messages.at_bottom()
    app.messages.scroll_up(3)
    spin(root, 0.1)
    top = app.messages.text.yview()
    carol = peer(srv, "carol")
    for i in range(3):
        carol.send({"type": "msg", "text": f"while you read {i}"})
    wait_for(root, lambda: "while you read 2" in pane(app), what="the new lines")
    spin(root, 0.1)
    assert app.messages.text.yview()[0] == pytest.approx(top[0], abs=0.02)
    assert app.messages.jump_text() == "4 new messages ↓"     # carol joined + 3 lines
    app.messages.jump_button.invoke()
    spin(root, 0.1)
    assert app.messages.at_bottom() and app.messages.jump_text() == ""
    carol.close()


def test_a_class_of_30_joins_as_one_line_and_the_list_scrolls_and_finds(root, srv):
    teacher = peer(srv, "Mr.Smith", "pw")
    app = start_app(root, srv, "alice")
    names = [f"élève{i:02d}" for i in range(30)]
    class_ = [peer(srv, name) for name in names]
    wait_for(root, lambda: len(user_rows(app)) == 33, what="the class in the list")
    assert "30 joined: élève00, élève01" in pane(app)
    assert pane(app).count("joined") == 1
    rows = user_rows(app)
    assert rows[:4] == ["Everyone", "Mr.Smith (admin)", "alice (you)", "élève00"]
    first, last = app.users.tree.yview()
    assert last < 1.0                         # more names than rows: it scrolls
    app.users.find_entry.focus_force()
    app.users.find.set("VE07")              # case and accents folded: élève07
    spin(root, 0.05)
    assert user_rows(app) == ["Everyone", "élève07"]
    app.users.find_entry.event_generate("<Return>")
    spin(root, 0.05)
    assert app.presenter.recipient == "élève07" and len(user_rows(app)) == 33
    for member in class_ + [teacher]:
        member.close()


def test_shift_enter_makes_a_multi_line_message_shown_indented(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "alice")
    type_and_enter(root, app, "shopping list:\n- milk\n- bread")
    frame = bob.expect("msg")
    assert frame["text"] == "shopping list:\n- milk\n- bread"
    wait_for(root, lambda: "✓" in pane(app), what="the echo to mark it sent")
    tags = app.messages.tags_at("- bread")
    assert any(tag.startswith("indent") for tag in tags)
    indent = int(next(t for t in tags if t.startswith("indent"))[6:])
    assert indent > 60                        # under the text, not under the time
    assert app.input.text() == ""


def test_a_refused_message_can_be_retried_from_the_pane(root):
    with run_server(admin_password="pw", rate_limit=0, max_message_chars=20) as srv:
        bob = peer(srv, "bob")
        app = start_app(root, srv, "alice")
        bob.expect("joined")
        type_and_enter(root, app, "this is far longer than twenty characters")
        wait_for(root, lambda: "not sent" in pane(app), what="the refusal")
        assert "pending" not in app.messages.tags_at("this is far longer")
        assert app.messages.click_action("Retry")
        spin(root, 0.3)
        assert pane(app).count("this is far longer") == 1    # the same line, tried again
        assert bob.nothing_within(0.2)       # refused again: nobody got it


def test_a_teachers_mute_is_undone_from_the_notice(root, srv):
    bob = peer(srv, "bob")
    app = start_app(root, srv, "teacher", "pw")
    app.build_user_menu("bob").invoke(1)        # Mute bob
    assert bob.expect("notice")["text"] == "teacher muted you."
    wait_for(root, lambda: "Undo" in pane(app), what="the notice with Undo")
    assert app.messages.click_action("Undo")
    bob.expect("notice")                         # the announcement to everyone
    assert bob.expect("notice")["text"] == "teacher unmuted you."
    wait_for(root, lambda: "bob (muted)" not in user_rows(app), what="bob unmuted")


def test_a_welcome_with_numbers_for_nicks_is_refused_in_the_dialog(root):
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        conn.recv(1000)
        conn.sendall(b'{"type":"welcome","nick":"a","users":[1,2],"admin":false,'
                     b'"history":[],"server":"odd"}\n')
        time.sleep(2)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    app = start_app(root)
    app.connect("127.0.0.1", listener.getsockname()[1], "a", None)
    wait_for(root, lambda: "ClassChat" in app.dialog.message.get(), what="the refusal")
    assert app.presenter.state == p.OFFLINE and app.dialog.winfo_ismapped()
    assert "Connecting" not in app.dialog.message.get()
    listener.close()


@pytest.mark.parametrize("code, words", [("ru", ("Подключиться", "Ник", "Все")),
                                         ("pt", ("Ligar", "Alcunha", "Todos"))])
def test_the_window_in_russian_and_portuguese(root, srv, code, words):
    app = start_app(root, srv)
    app.set_language(code)
    texts = [str(w.cget("text")) for w in all_widgets(app.dialog) if has_text(w)]
    assert words[0] in texts and words[1] in texts
    english = {m for m in i18n.source_messages() if i18n._(m) != m}
    assert not english & set(texts), english & set(texts)
    app.dialog.fill("127.0.0.1", str(srv.port), "zoë", "")
    app.dialog.submit()
    wait_for(root, lambda: app.presenter.online, what="the login")
    shown = [str(w.cget("text")) for w in all_widgets(app.chat) if has_text(w)]
    assert not english & set(shown), english & set(shown)
    assert user_rows(app)[0] == words[2]
    i18n.set_language("en")


def all_widgets(widget):
    yield widget
    for child in widget.winfo_children():
        yield from all_widgets(child)


def has_text(widget):
    try:
        widget.cget("text")
        return True
    except Exception:
        return False
