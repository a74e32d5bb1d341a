"""What the window shows, decided without a window (no Tk, no sockets)."""

import itertools
import zlib

import pytest

from protocol import nicks
from protocol.events import (
    AskUsers, AskWhoami, Bye, Down, Error, Identity, Joined, Kick, Left, Logout, Message,
    Pong, Say, Shutdown, Unknown, UserList, Welcome,
)
from desktop_client import presenter as p
from desktop_client import textsafe
from desktop_client.presenter import Presenter


_ids = itertools.count(1000)


def msg(sender, text, to=None, id=None, ts=0, **extra):
    """A message; each gets its own id unless told (the pane drops a repeated id)."""
    return Message(next(_ids) if id is None else id, ts, sender, to, text, **extra)


def welcomed(nick="alice", users=("alice", "bob", "carol"), admin=False, history=(),
             admins=()):
    view = Presenter()
    view.now_ms = lambda: 0
    view.connecting()
    lines = view.apply(Welcome(nick, tuple(users), admin, tuple(history), "classchat/1.0",
                               tuple(admins)))
    return view, lines


def said(view, line):
    """The Say a typed line sends, without its (random) cid."""
    command = view.read_input(line).command
    assert isinstance(command, Say) and command.cid, command
    return Say(command.text, command.to)


def labels(view):
    return [label for _, label, _ in view.user_rows()]


def admin_rows(view):
    return [nick for nick, _, tags in view.user_rows() if "admin" in tags]


def texts(lines):
    return [line.text for line in lines]


# ---- welcome, users, history -----------------------------------------------------------

def test_welcome_sets_state_and_rows_with_everyone_first():
    view, lines = welcomed()
    assert view.online and view.me == "alice" and not view.admin
    rows = view.user_rows()
    assert [label for _, label, _ in rows] == ["Everyone", "alice (you)", "bob", "carol"]
    assert rows[0][0] is None and "me" in rows[1][2]
    assert "Welcome, alice! 2 other people are online." in texts(lines)


def test_admin_is_marked_and_told():
    view, lines = welcomed(nick="teacher", users=("bob", "teacher"), admin=True)
    assert ("teacher", "teacher (you, admin)") == view.user_rows()[1][:2]   # admins on top
    assert any("You are an admin" in t for t in texts(lines))
    assert view.title() == "ClassChat — teacher"


def test_every_admin_is_marked_in_the_list_not_only_me():
    view, _ = welcomed(users=("alice", "bob", "teacher"), admins=("teacher",))
    assert labels(view) == ["Everyone", "teacher (admin)", "alice (you)", "bob"]
    assert admin_rows(view) == ["teacher"] and not view.admin
    tags = view.user_rows()[1][2]
    assert "me" not in tags and f"nick{p.nick_colour('teacher')}" in tags


def test_admins_are_matched_like_nicks_and_only_when_online():
    view, _ = welcomed(users=("alice", "Teacher"), admins=("ＴＥＡＣＨＥＲ", "ghost"))
    assert labels(view)[1] == "Teacher (admin)"
    assert view.admins == {nicks.key("teacher")}


def test_two_admins_and_me_among_them():
    view, _ = welcomed(nick="teacher", users=("alice", "mod", "teacher"), admin=True,
                       admins=("mod", "teacher"))
    assert labels(view) == ["Everyone", "mod (admin)", "teacher (you, admin)", "alice"]
    assert admin_rows(view) == ["mod", "teacher"]


def test_my_admin_mark_without_the_extension_and_after_whoami():
    # A server of the bare contract lists no admins: we still know about ourselves.
    view, _ = welcomed(nick="teacher", users=("alice", "teacher"), admin=True)
    assert admin_rows(view) == ["teacher"]
    version = view.users_version
    view.apply(Identity("teacher", False))
    assert admin_rows(view) == [] and view.users_version > version
    view.apply(Identity("teacher", True))
    assert labels(view)[1] == "teacher (you, admin)"


def test_admin_mark_follows_joins_and_leaves():
    view, _ = welcomed()
    version = view.users_version
    lines = view.apply(Joined("teacher", 0, True))
    assert texts(lines)[0].endswith("  teacher (admin) joined")
    assert admin_rows(view) == ["teacher"] and view.users_version > version
    view.apply(Joined("dave", 60_001, False))     # a minute later: a line of its own
    assert admin_rows(view) == ["teacher"] and "dave" in view.users
    view.apply(Left("TEACHER", "quit", 0))
    assert admin_rows(view) == [] and "teacher" not in view.users
    # The nick comes back, now without the password: no longer marked.
    view.apply(Joined("teacher", 0, False))
    assert admin_rows(view) == [] and "teacher" in labels(view)
    assert texts(view.apply(Joined("root", 0)))[0].endswith("  3 joined: dave, teacher, root")


def test_users_answer_replaces_the_admin_marks():
    view, _ = welcomed(admins=("bob",))
    lines = view.apply(UserList(("alice", "teacher", "zoe"), ("teacher",)))
    assert admin_rows(view) == ["teacher"]
    assert lines[0].text == "Online (3): teacher (admin), alice, zoe"
    view.apply(UserList(("alice", "teacher")))
    assert admin_rows(view) == []


def test_admin_marks_are_cleared_offline_and_renewed_on_reconnect():
    view, _ = welcomed(users=("alice", "teacher"), admins=("teacher",))
    view.link_ended("reset")
    assert view.admins == set() and admin_rows(view) == []
    view.attempt()
    view.apply(Welcome("alice", ("alice", "bob", "mod"), False, (), "", ("mod",)))
    assert admin_rows(view) == ["mod"]
    assert labels(view) == ["Everyone", "mod (admin)", "alice (you)", "bob"]


def test_history_comes_first_marked_as_earlier():
    history = (msg("bob", "old one", id=1), msg("carol", "old two", id=2))
    view, lines = welcomed(history=history)
    assert [texts(lines)[0], texts(lines)[3]] == ["Earlier messages", "Now"]
    assert lines[0].kind == "separator" and lines[3].kind == "separator"
    assert all(line.earlier for line in lines[1:3])
    assert lines[1].text.endswith("bob: old one")
    assert view.shown_ids == {1, 2}


def test_reconnect_skips_history_already_shown():
    history = (msg("bob", "old", id=1),)
    view, _ = welcomed(history=history)
    view.apply(msg("bob", "newer", id=5))
    view.link_ended()
    view.attempt()
    lines = view.apply(Welcome("alice", ("alice", "bob"), False,
                               (msg("bob", "old", id=1), msg("bob", "newer", id=5),
                                msg("bob", "missed while away", id=6)), ""))
    shown = texts(lines)
    assert not any("old" in t or "newer" in t for t in shown)
    assert any("missed while away" in t for t in shown)
    assert any(t.startswith("Reconnected as alice") for t in shown)


def test_join_and_leave_update_users_and_reset_recipient():
    view, _ = welcomed()
    version = view.users_version
    assert texts(view.apply(Joined("dave", 0)))[0].endswith("  dave joined")
    assert view.users == ["alice", "bob", "carol", "dave"] and view.users_version > version
    view.select_recipient("dave")
    assert view.recipient_label() == "To: dave"
    lines = view.apply(Left("dave", "kicked", 0, "spam"))
    assert "dave was removed by an admin: spam" in lines[0].text
    assert view.recipient is None and view.recipient_label() == "To: Everyone"
    assert "Everyone again" in lines[1].text
    assert "dave" not in view.users


@pytest.mark.parametrize("reason, words", [
    ("quit", "dave left"), ("disconnected", "dave disconnected"),
    ("dropped", "too slow"), ("weird", "dave left (weird)"),
])
def test_leave_reasons_read_well(reason, words):
    view, _ = welcomed(users=("alice", "dave"))
    assert words in view.apply(Left("dave", reason, 0))[0].text


def test_user_list_answer_replaces_the_list():
    view, _ = welcomed()
    lines = view.apply(UserList(("alice", "zoe")))
    assert view.users == ["alice", "zoe"] and lines[0].text == "Online (2): alice, zoe"


def test_pong_and_unknown_are_ignored():
    view, _ = welcomed()
    assert view.apply(Pong()) == [] and view.apply(Unknown("future")) == []


# ---- messages ---------------------------------------------------------------------------

def test_public_message_line():
    view, _ = welcomed()
    line = view.apply(msg("bob", "hi all", ts=0))[0]
    assert line.kind == "public" and not line.own
    assert line.text.endswith("bob: hi all")
    tags = dict(line.parts)
    assert f"nick{p.nick_colour('bob')}" in tags["bob"]


def test_own_public_message_is_marked():
    view, _ = welcomed()
    line = view.apply(msg("alice", "mine"))[0]
    assert line.own and "alice (you): mine" in line.text and "own" in line.line_tags()


def test_private_messages_are_labelled_both_ways():
    view, _ = welcomed()
    incoming = view.apply(msg("bob", "psst", to="alice"))[0]
    outgoing = view.apply(msg("alice", "hey", to="carol"))[0]
    assert incoming.kind == outgoing.kind == "private"
    assert "bob → you" in incoming.text and "psst" in incoming.text
    assert "you → carol" in outgoing.text and outgoing.own
    to_self = view.apply(msg("alice", "note", to="Alice"))[0]
    assert "you → you" in to_self.text


def test_errors_and_system_events():
    view, _ = welcomed()
    assert view.apply(Error("no_such_user", "No user called zed."))[0].kind == "error"
    assert view.apply(Identity("alice", True))[0].text == "You are alice (admin)."
    assert view.admin


def test_nick_colour_is_stable_and_case_insensitive():
    assert p.nick_colour("Alice") == p.nick_colour("alice") == p.nick_colour("ａｌｉｃｅ")
    assert p.nick_colour("bob") == zlib.crc32(b"bob") % p.NICK_COLOURS


# ---- faults -----------------------------------------------------------------------------

def test_shutdown_by_an_admin_names_who_and_why_and_keeps_trying():
    view, _ = welcomed()
    lines = view.apply(Shutdown("teacher", "lesson over"))
    # The strip says it loudly; the pane notes it once, quietly, like a leave.
    assert view.banner.text == ("teacher shut the server down: lesson over. "
                                "Reconnecting when it is back…")
    assert view.banner.says(4) == ("teacher shut the server down: lesson over. "
                                   "Reconnecting in 4 s…")
    assert len(lines) == 1 and lines[0].kind == "notice"
    assert lines[0].text == f"{p.clock(0)}  teacher shut the server down: lesson over."
    assert view.state == p.SHUTDOWN and not view.online
    assert view.banner.kind == "shutdown" and view.banner.auto_retry
    view.effects()
    assert view.link_ended() == []               # the close that follows is expected ...
    assert [type(e) for e in view.effects()] == [p.Retry]    # ... and the retries begin
    assert view.banner.kind == "shutdown" and view.state == p.SHUTDOWN
    assert "(offline)" in view.title()


def test_shutdown_by_signal_says_the_server_stopped_and_keeps_trying():
    view, _ = welcomed()
    text = view.apply(Shutdown("server", ""))[0].text
    assert text == f"{p.clock(0)}  The server stopped."
    assert view.banner.text == "The server stopped. Reconnecting when it is back…"
    assert "itself" not in view.banner.text and "by server" not in view.banner.text
    view.link_ended("refused")
    for _ in range(20):                         # forever, never more than the cap apart
        retry, = view.effects()
        assert isinstance(retry, p.Retry) and retry.seconds <= 15 * 1.2
        view.attempt()
        view.link_ended("No chat server is running")
    assert view.state == p.SHUTDOWN


def test_lost_connection_retries_without_noise_in_the_pane():
    view, _ = welcomed()
    lines = view.link_ended("reset")
    assert view.state == p.RECONNECTING and view.banner.auto_retry
    assert view.banner.text == "Connection lost — reconnecting…"
    assert view.banner.says(3) == "Connection lost — reconnecting in 3 s…"
    assert lines == []
    assert [type(e) for e in view.effects()] == [p.Retry]


def test_kicked_and_logout_do_not_retry():
    view, _ = welcomed()
    line = view.apply(Bye("kicked", "be nice", 15))[0]
    assert line.text.endswith("  You were removed by an admin: be nice "
                              "You can join again in 15 minutes.")
    assert line.kind == "notice"
    assert view.banner.text == "You were removed by an admin: be nice You can join again in 15 minutes."
    assert not view.banner.auto_retry and not view.banner.can_reconnect
    assert view.link_ended() == [] and view.effects() == []
    assert view.state == p.KICKED and view.tick() == []
    view2, _ = welcomed()
    view2.apply(Bye("logout"))
    assert view2.state == p.LOGGED_OUT


def test_unread_private_count_only_when_unfocused_and_from_others():
    view, _ = welcomed()
    view.apply(msg("bob", "while focused", to="alice"))
    assert view.unread == 0
    view.set_focused(False)
    view.apply(msg("bob", "1", to="alice"))
    view.apply(msg("bob", "public"))
    view.apply(msg("alice", "my own", to="bob"))
    view.apply(msg("carol", "2", to="alice"))
    assert view.title() == "(2 private) ClassChat — alice"
    view.set_focused(True)
    assert view.title() == "ClassChat — alice"


# ---- the input box ------------------------------------------------------------------------

def test_plain_line_goes_to_the_chosen_recipient():
    view, _ = welcomed()
    assert said(view, "hello\n") == Say("hello", None)
    view.select_recipient("BOB")                  # matched like nicks, own spelling kept
    assert view.recipient == "bob"
    assert said(view, "  psst  ") == Say("psst", "bob")
    view.select_recipient(None)
    assert said(view, "all") == Say("all", None)


def test_flags_override_the_recipient():
    view, _ = welcomed()
    view.select_recipient("bob")
    assert said(view, "-to carol hi there") == Say("hi there", "carol")
    assert said(view, "-all everyone!") == Say("everyone!", None)
    assert view.recipient == "bob"


@pytest.mark.parametrize("line, command", [
    ("-users", AskUsers()), ("-whoami", AskWhoami()), ("-kick bob spam", Kick("bob", "spam")),
    ("down server", Down(None)), ("down server bye all", Down("bye all")),
])
def test_other_flags_become_commands(line, command):
    view, _ = welcomed(admin=True)
    assert view.read_input(line).command == command


def test_help_is_answered_locally():
    view, _ = welcomed()
    result = view.read_input("-help")
    assert result.command is None and any("-to NICK TEXT" in l.text for l in result.lines)


def test_exit_logs_out_and_quits():
    view, _ = welcomed()
    result = view.read_input("-exit")
    assert result.command == Logout() and result.quit


def test_bad_input_is_explained_and_kept():
    view, _ = welcomed()
    for line, words in (("-to bob", "Usage: -to NICK TEXT"), ("-nope", "Unknown flag"),
                        ("-login x", "already logged in"),
                        ("x" * 2001, "at most 2000 characters")):
        result = view.read_input(line)
        assert result.command is None and not result.clear, line
        assert words in result.lines[0].text and result.lines[0].kind == "error"
    assert view.read_input("   ").command is None
    assert not view.read_input("").clear


def test_admin_commands_with_and_without_reason():
    view, _ = welcomed(admin=True)
    assert view.kick_command("bob", "  ") == Kick("bob", None)
    assert view.down_command("end of class ") == Down("end of class")


def test_login_error_texts():
    assert "taken" in p.login_error_text(Error("nick_taken", "x"))
    assert "Wrong admin password" in p.login_error_text(Error("bad_password", "x"))
    assert p.login_error_text(Error("nick_invalid", "Because.")) == "Because."
    assert p.local_nick_problem("every one")
    assert p.local_nick_problem("Everyone")
    assert p.local_nick_problem(" zoë ") is None


# ---- text safety ---------------------------------------------------------------------------

def test_tk_safe_keeps_emoji_when_supported_and_never_lone_surrogates():
    textsafe.set_astral_supported(True)
    assert textsafe.tk_safe("hi 😀") == "hi 😀"
    assert textsafe.tk_safe("bad \ud83d end") == "bad \ufffd end"
    assert textsafe.tk_safe("a\x00b\x1bc\nd\te") == "abc\nd\te"
    assert textsafe.tk_safe("two\nlines", keep_newlines=False) == "two lines"


def test_tk_safe_placeholder_for_a_tk_without_astral_support():
    textsafe.set_astral_supported(False)
    try:
        assert textsafe.tk_safe("hi 😀!") == "hi [U+1F600]!"
        view, _ = welcomed(users=("alice", "𐐷x"))
        assert view.user_rows()[2][1] == "[U+10437]x"
    finally:
        textsafe.set_astral_supported(True)


def test_long_recipient_is_shortened_in_the_indicator():
    view, _ = welcomed(users=("alice", "bob_the_builder_long_nk"))
    view.select_recipient("bob_the_builder_long_nk")
    assert view.recipient_label() == "To: bob_the_build…"
    assert said(view, "hi") == Say("hi", "bob_the_builder_long_nk")
