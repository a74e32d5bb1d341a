"""The rules of a real lesson, decided by the presenter: no Tk, no sockets, no clock."""

import itertools

import pytest

from protocol.events import (
    Ban, BanList, Bye, Error, Joined, Kick, Left, Message, Mute, Notice, Ping, RoomState,
    Say, Shutdown, Slow, Unban, Unmute, Welcome,
)
from desktop_client import lifecycle, presenter as p
from desktop_client.lifecycle import Backoff, Heartbeat, LifeCycle, LocalStateError, Phase
from desktop_client.presenter import Presenter

_ids = itertools.count(1)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def msg(sender, text, to=None, id=None, seq=0, cid=None, admin=False):
    return Message(next(_ids) if id is None else id, 0, sender, to, text, seq, cid, admin)


def welcome(nick="alice", users=("alice", "bob"), history=(), session="S1", seq=10,
            heartbeat=20, **extra):
    return Welcome(nick, tuple(users), extra.pop("admin", False), tuple(history), "classchat",
                   extra.pop("admins", ()), seq=seq, session=session, heartbeat=heartbeat,
                   grace=120, **extra)


def online(**extra):
    clock = Clock()
    view = Presenter(clock=clock, backoff=Backoff(rand=lambda: 0.5))
    view.now_ms = lambda: 0
    login = view.connecting("alice", extra.pop("password", None))
    lines = view.apply(welcome(**extra))
    view.effects()
    return view, clock, login, lines


def texts(lines):
    return [line.text for line in lines]


def kinds(effects):
    return [type(e).__name__ for e in effects]


# ---- the life cycle ---------------------------------------------------------------------

def test_phases_move_only_as_the_table_allows():
    life = LifeCycle()
    for step in (Phase.CONNECTING, Phase.ONLINE, Phase.RECONNECTING, Phase.RECONNECTING,
                 Phase.SHUT_DOWN, Phase.ONLINE, Phase.KICKED, Phase.LOGGED_OUT):
        life.move(step)
    with pytest.raises(LocalStateError):
        life.move(Phase.ONLINE)                   # logged out is the end
    kicked = LifeCycle()
    kicked.phase = Phase.KICKED
    with pytest.raises(LocalStateError):
        kicked.move(Phase.RECONNECTING)           # a kick never reconnects
    assert Phase.SHUT_DOWN == "shutdown"          # the views compare with plain strings


def test_backoff_doubles_to_a_cap_with_jitter_and_resets():
    low = Backoff(rand=lambda: 0.0)
    assert [round(low.next_delay(), 2) for _ in range(7)] == [0.8, 1.6, 3.2, 6.4, 12.0, 12.0, 12.0]
    high = Backoff(rand=lambda: 1.0)
    assert [round(high.next_delay(), 2) for _ in range(6)] == [1.2, 2.4, 4.8, 9.6, 18.0, 18.0]
    high.reset()
    assert round(high.next_delay(), 2) == 1.2


def test_heartbeat_pings_on_time_and_calls_a_silent_link_dead():
    beat = Heartbeat.online(0.0, heartbeat=20)
    assert beat.tick(19.9) == "" and beat.tick(20.0) == "ping"
    assert beat.tick(24.9) == ""                  # max(5, 20/2) = 10 s to hear anything
    beat.heard(25.0)
    assert beat.tick(39.9) == "" and beat.tick(40.0) == "ping"
    assert beat.tick(49.9) == "" and beat.tick(50.0) == "dead"
    fast = Heartbeat.online(0.0, heartbeat=1)
    assert fast.tick(1.0) == "ping" and fast.tick(5.9) != "dead" and fast.tick(6.0) == "dead"


def test_no_welcome_in_time_is_a_dead_link_too():
    beat = Heartbeat(0.0)
    assert beat.tick(lifecycle.LOGIN_WAIT - 0.1) == ""
    assert beat.tick(lifecycle.LOGIN_WAIT) == "dead"


# ---- heartbeat and resume in the presenter -------------------------------------------------

def test_login_is_resumable_and_online_pings_every_heartbeat():
    view, clock, login, _ = online(heartbeat=2)
    assert login.resumable and login.session is None
    clock.now += 2
    view.tick()
    assert view.effects() == [p.Send(Ping())]


def test_silent_link_is_closed_said_and_retried():
    view, clock, _, _ = online(heartbeat=2)
    clock.now += 2
    view.tick()
    view.effects()
    clock.now += lifecycle.PONG_WAIT_MIN
    assert view.tick() == []
    assert kinds(view.effects()) == ["CloseLink", "Retry"]
    assert view.state == Phase.RECONNECTING
    assert view.banner.text == "Connection lost — reconnecting…"


def test_resume_uses_the_session_and_the_largest_seq_seen():
    view, _, _, _ = online(seq=10)
    view.apply(msg("bob", "a", seq=12))
    view.apply(Joined("carol", 0, seq=13))
    view.apply(msg("bob", "late but lower", seq=11))
    view.link_ended("reset")
    login = view.attempt()
    assert (login.nick, login.session, login.seq, login.resumable) == ("alice", "S1", 13, True)


def test_resumed_welcome_keeps_the_pane_and_applies_the_replay_as_a_set():
    view, _, _, _ = online(users=("alice", "bob", "carol"))
    before = msg("bob", "before the drop", seq=11)
    view.apply(before)
    view.link_ended("reset")
    view.attempt()
    lines = view.apply(welcome(users=("alice", "bob", "dave"), resumed=True, seq=20))
    assert lines == [] and view.online and view.banner is None
    # Replayed: a message already shown (same id), carol's leave, dave's join.
    assert view.apply(before) == []
    view.apply(Left("carol", "disconnected", 0, seq=15))
    view.apply(Joined("dave", 0, seq=16))
    assert view.users == ["alice", "bob", "dave"]
    assert view.last_seq == 16


def test_fresh_welcome_after_a_restart_shows_history_without_repeats():
    view, _, _, _ = online()
    old = msg("bob", "old one")
    view.apply(old)
    view.link_ended("reset")
    view.attempt()
    lines = view.apply(welcome(history=(old, msg("bob", "missed", id=old.id + 1000)),
                               session="S2", seq=3))
    shown = texts(lines)
    assert not any("old one" in t for t in shown)
    assert any("missed" in t for t in shown) and "Earlier messages" in shown
    assert any(t.startswith("Reconnected as alice") for t in shown)
    assert view.session == "S2" and view.last_seq == 3     # the new server's order


def test_a_gap_is_said():
    view, _, _, _ = online()
    view.link_ended("reset")
    view.attempt()
    assert texts(view.apply(welcome(resumed=True, gap=True))) == [
        "Some messages from while you were away could not be recovered."]


# ---- the outbox ----------------------------------------------------------------------------

def test_every_message_gets_a_cid_and_waits_for_its_echo():
    view, _, _, _ = online()
    say = view.read_input("hello").command
    assert isinstance(say, Say) and 1 <= len(say.cid) <= 64
    assert len(view.outbox) == 1 and view.waiting_note() == ""
    lines = view.apply(msg("alice", "hello", cid=say.cid))
    assert len(lines) == 1 and len(view.outbox) == 0


def test_messages_typed_while_down_wait_and_go_in_order_with_their_cids():
    view, _, _, _ = online()
    sent = view.read_input("on the dying link").command
    view.link_ended("reset")
    first, second = view.read_input("typed while down"), view.read_input("and another")
    assert first.command is None and first.clear and second.clear
    assert view.waiting_note() == "3 messages waiting to send"
    view.effects()
    view.attempt()
    view.apply(welcome(resumed=True))
    resent = [e.command for e in view.effects()]
    assert [s.text for s in resent] == ["on the dying link", "typed while down", "and another"]
    assert resent[0].cid == sent.cid and view.waiting_note() == ""
    # The server's echo of a repeat is the original msg again: shown once.
    echo = msg("alice", "on the dying link", cid=sent.cid)
    assert len(view.apply(echo)) == 1 and view.apply(echo) == []


def test_rate_limited_is_tried_again_not_lost():
    view, _, _, _ = online()
    say = view.read_input("too fast").command
    assert view.apply(Error("rate_limited", "Slow down.", cid=say.cid)) == []
    assert view.effects() == [p.SendLater(say.cid, p.RATE_LIMIT_RETRY)]
    assert view.resend(say.cid) == [p.Send(say)]


def test_refused_message_is_said_and_goes_back_to_the_input_box():
    view, _, _, _ = online()
    say = view.read_input("hi all").command
    lines = view.apply(Error("muted", "You are muted.", cid=say.cid))
    # The pending line becomes "not sent" where it stands, with Retry; the reason is red.
    failed, error = lines
    assert failed.state == "failed" and failed.key and "not sent" in failed.text
    assert texts([error]) == ["You are muted."] and error.kind == "error"
    assert view.effects() == [p.Restore("hi all")] and len(view.outbox) == 0


# ---- passwords, bans, kicks, shutdowns -------------------------------------------------------

def test_refused_password_on_a_reconnect_stops_and_asks():
    view, _, first, _ = online(password="pw", admin=True)
    assert first.password == "pw"
    view.link_ended("reset")
    view.effects()
    assert view.attempt().password == "pw"        # it worked before: still sent
    view.apply(Error("bad_password", "Wrong password."))
    assert view.state == Phase.REFUSED
    assert kinds(view.effects()) == ["CloseLink", "AskPassword"]
    view.link_ended("closed")                     # the close that follows: no retry
    assert view.effects() == []
    assert view.attempt().password is None        # never sent again by itself
    student = view.retry_with(None)
    assert student.password is None and view.state == Phase.RECONNECTING
    assert view.retry_with("new").password == "new"


def test_locked_out_says_how_long():
    view, _, _, _ = online(password="pw", admin=True)
    view.now_ms = lambda: 1_000_000
    view.link_ended("reset")
    view.attempt()
    view.apply(Error("locked_out", "Too many wrong passwords.", until=1_000_000 + 150_000))
    ask = [e for e in view.effects() if isinstance(e, p.AskPassword)][0]
    assert "Too many wrong admin passwords" in ask.text and "3 min" in ask.text


def test_first_login_refused_goes_back_to_the_dialog():
    view = Presenter()
    view.connecting("alice", "nope")
    view.apply(Error("bad_password", "x"))
    effects = view.effects()
    assert view.state == Phase.OFFLINE and kinds(effects) == ["CloseLink", "DialogError"]
    assert "Wrong admin password" in effects[1].text


def test_banned_at_a_reconnect_says_until_when_and_tries_again_when_it_may():
    view, _, _, _ = online()
    view.link_ended("reset")
    view.effects()
    view.attempt()
    until = view.now_ms() + 10 * 60 * 1000
    view.apply(Error("banned", "You are kept out.", until=until))
    assert view.state == Phase.REFUSED
    assert f"You can join again at {p.clock(until)}" in view.banner.text
    effects = view.effects()
    # Once a minute (the teacher may lift it), and in any case when the ban ends.
    assert kinds(effects) == ["CloseLink", "Retry"] and effects[1].seconds == 60
    view.link_ended()
    assert view.effects() == []
    view.attempt()
    view.apply(Error("banned", "You are kept out.", until=view.now_ms() + 5000))
    assert view.effects()[-1].seconds == 6


def test_kick_says_why_and_for_how_long_and_never_retries():
    view, _, _, _ = online()
    view.apply(Bye("kicked", "phones away", 10))
    assert view.banner.text == ("You were removed by an admin: phones away "
                                "You can join again in 10 minutes.")
    assert not view.banner.can_reconnect and view.state == Phase.KICKED
    view.link_ended()
    assert view.effects() == [] and not view.can_type


def test_shutdown_by_admin_and_by_signal_both_keep_trying():
    for by, words in (("teacher", "teacher shut the server down"), ("server", "The server stopped")):
        view, _, _, _ = online()
        view.apply(Shutdown(by, ""))
        assert words in view.banner.text and view.banner.auto_retry
        view.link_ended()
        assert kinds(view.effects()) == ["Retry"]
        assert view.can_type                      # typed messages wait in the outbox


# ---- the teacher's order ---------------------------------------------------------------------

def test_room_state_is_shown_and_a_muted_student_cannot_type():
    view, _, _, _ = online()
    assert view.room_line() == "" and view.can_type
    view.apply(RoomState(("alice",), False, 30))
    assert view.room_line() == "Slow mode: one message every 30 s"
    assert view.am_muted and not view.can_type
    assert view.input_hint() == ("You are muted: you can read, but not write. "
                                 "Click the teacher's name to ask privately.")
    assert "alice (you, muted)" in [label for _, label, _ in view.user_rows()]
    view.apply(RoomState((), True, 0))
    assert view.room_line() == "Only the teacher can write now"
    assert view.input_hint().startswith("Only the teacher can write now.")
    view.apply(RoomState((), False, 0))
    assert view.can_type and view.input_hint() == ""


def test_a_muted_student_can_still_write_to_the_teacher_privately():
    view, _, _, _ = online(users=("alice", "bob", "Teacher"), admins=("Teacher",))
    view.apply(RoomState((), True, 0))
    assert not view.can_type
    view.select_recipient("Teacher")
    assert view.can_type and view.input_hint() == ""
    view.select_recipient("bob")
    assert not view.can_type


def test_welcome_carries_the_room_state():
    view, _, _, _ = online(muted=("bob",), muted_all=False, slow=5)
    assert view.is_muted("BOB") and view.slow == 5 and not view.am_muted


def test_an_admin_is_never_muted_and_has_the_commands():
    view, _, _, _ = online(admin=True, users=("alice", "bob"), muted_all=True)
    assert not view.am_muted and view.can_type
    assert view.room_line() == "The class is muted: only admins can write"
    assert view.class_mute_command() == Unmute(None)
    assert view.mute_command("bob", True) == Mute("bob")
    assert view.kick_command("bob", " spam ", 10) == Kick("bob", "spam", 10)
    assert view.slow_command(30) == Slow(30)
    assert view.unban_command(Ban(None, "10.0.0.5", 0, "t")) == Unban("10.0.0.5")
    bans = (Ban("bob", "10.0.0.5", 0, "alice", "spam"),)
    assert view.apply(BanList(bans)) == [] and view.effects() == [p.ShowBans(bans)]


def test_notices_are_quiet_lines():
    view, _, _, _ = online()
    line, = view.apply(Notice("Mr.Smith muted the class.", 0))
    assert line.kind == "notice" and line.text.endswith("Mr.Smith muted the class.")


def test_every_line_an_admin_writes_is_marked():
    view, _, _, _ = online(users=("alice", "bob", "Mr.Smith"), admins=("Mr.Smith",))
    assert "★ Mr.Smith: sit down" in view.apply(msg("Mr.Smith", "sit down"))[0].text
    assert "★ mod: hi" in view.apply(msg("mod", "hi", admin=True))[0].text
    assert "★" not in view.apply(msg("bob", "ok"))[0].text
