"""The chat room without sockets: resume, exactly-once, bans and order, decided directly.

A FakeClient is what the loop's Connection is to the room (the `Client` protocol):
it keeps what the room queues on it, decoded from the JSON bytes a real client would get.
"""

import json
from dataclasses import replace

import pytest

from protocol import auth
from protocol.events import (
    AskBans, AskChallenge, Kick, Login, Logout, Mute, Say, Slow, Unban, Unmute,
)
from server.chat import ChatRoom
from server.settings import Settings


class Clock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


class FakeClient:
    def __init__(self, ip="10.0.0.1", port=40000):
        self.nick, self.admin, self.session = None, False, None
        self.ip, self.tag, self.closing = ip, f"{ip}:{port}", False
        self.challenge = None
        self.received: list[dict] = []

    def send(self, outgoing):
        if not self.closing:
            self.received.append(json.loads(outgoing.json))

    send_answer = send

    def close_after_output(self):
        self.closing = True

    def may_send_message(self):
        return True

    def may_work(self, weight):
        return True

    def take(self) -> list[dict]:
        received, self.received = self.received, []
        return received

    def kinds(self) -> list[str]:
        return [frame["type"] for frame in self.take()]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def room(clock):
    settings = replace(Settings(), admin_password="pw", resume_grace=120, heartbeat=20)
    return ChatRoom(settings, clock=clock, monotonic=clock)


def log_in(room, nick, resumable=False, password=None, ip="10.0.0.1"):
    client = FakeClient(ip)
    room.handle(client, Login(nick, password, resumable=resumable))
    welcome = client.take()[0]
    assert welcome["type"] == "welcome", welcome
    return client, welcome


def test_a_dropped_link_resumes_with_every_missed_event_once_and_nobody_notices(room):
    alice, welcome = log_in(room, "alice", resumable=True)
    assert welcome["session"] and welcome["heartbeat"] == 20 and welcome["grace"] == 120
    bob, _ = log_in(room, "bob")
    alice.take()
    room.handle(bob, Say("before the drop"))
    seen = max(frame["seq"] for frame in alice.take())

    room.connection_lost(alice, "disconnected")              # the Wi-Fi goes
    assert "alice" in room.users
    room.handle(bob, Say("while away"))
    room.handle(bob, Say("psst", to="alice"))
    carol, _ = log_in(room, "carol")
    room.handle(carol, Logout())
    room.flush_lefts()                                       # as the loop does each round
    assert [f["type"] for f in bob.take()] == ["msg", "msg", "msg", "joined", "left"]

    back = FakeClient()
    room.handle(back, Login("alice", session=welcome["session"], seq=seen, resumable=True))
    frames = back.take()
    assert frames[0]["type"] == "welcome" and frames[0]["resumed"] is True
    assert frames[0]["history"] == [] and "gap" not in frames[0]
    assert [(f["type"], f.get("text") or f.get("nick")) for f in frames[1:]] == [
        ("msg", "while away"), ("msg", "psst"), ("joined", "carol"), ("left", "carol")]
    assert bob.take() == []                                  # no left/joined pair for alice
    room.handle(bob, Say("welcome back"))
    assert back.take()[0]["text"] == "welcome back"


def test_resume_replaces_a_link_that_still_looks_alive(room):
    alice, welcome = log_in(room, "alice", resumable=True)
    bob, _ = log_in(room, "bob")                             # alice's old link got this
    back = FakeClient()
    room.handle(back, Login("alice", session=welcome["session"], seq=welcome["seq"]))
    assert alice.closing                                     # the old link is let go quietly
    room.connection_lost(alice, "disconnected")              # ... and its end changes nothing
    frames = back.take()
    assert frames[0]["resumed"] is True
    assert [(f["type"], f["nick"]) for f in frames[1:]] == [("joined", "bob")]
    assert bob.take() == []
    room.handle(bob, Say("hi"))
    assert [f["type"] for f in back.take()] == ["msg"]


def test_the_grace_ends_with_a_left_for_everyone(room, clock):
    alice, _ = log_in(room, "alice", resumable=True)
    bob, _ = log_in(room, "bob")
    room.connection_lost(alice, "disconnected")
    clock.now += 119
    room.tick()
    assert bob.take() == [] and "alice" in room.users
    clock.now += 2
    room.tick()
    left = bob.take()
    assert [(f["type"], f["nick"], f["reason"]) for f in left] == [
        ("left", "alice", "disconnected")]
    assert "alice" not in room.users


def test_a_wrong_or_ended_session_is_a_fresh_login_and_cannot_take_the_nick(room):
    alice, welcome = log_in(room, "alice", resumable=True)
    room.connection_lost(alice, "disconnected")
    thief = FakeClient("10.0.0.9")
    room.handle(thief, Login("alice", session="guessed", seq=0))
    assert thief.take()[0]["code"] == "nick_taken"
    other = FakeClient()
    room.handle(other, Login("bob", session=welcome["session"], seq=0))   # not bob's session
    frames = other.take()
    assert frames[0]["type"] == "welcome" and "resumed" not in frames[0]


def test_a_logout_ends_the_session(room):
    alice, welcome = log_in(room, "alice", resumable=True)
    room.handle(alice, Logout())
    back = FakeClient()
    room.handle(back, Login("alice", session=welcome["session"], seq=welcome["seq"]))
    frames = back.take()
    assert frames[0]["type"] == "welcome" and "resumed" not in frames[0]


def test_a_non_resumable_user_leaves_at_once(room):
    nc_user, welcome = log_in(room, "carol")
    assert "session" not in welcome
    bob, _ = log_in(room, "bob")
    room.connection_lost(nc_user, "disconnected")
    room.flush_lefts()                                       # as the loop does each round
    assert [(f["type"], f["nick"]) for f in bob.take()] == [("left", "carol")]


def test_events_too_many_to_keep_are_reported_as_a_gap(room, monkeypatch):
    monkeypatch.setattr("server.chat.EVENT_LOG_MAX", 2)
    alice, welcome = log_in(room, "alice", resumable=True)
    bob, _ = log_in(room, "bob")
    room.connection_lost(alice, "disconnected")
    for text in ("one", "two", "three"):
        room.handle(bob, Say(text))
    room.tick()
    back = FakeClient()
    room.handle(back, Login("alice", session=welcome["session"], seq=welcome["seq"]))
    frames = back.take()
    assert frames[0]["gap"] is True
    assert [f.get("text") for f in frames[1:]] == ["two", "three"]


def test_a_resent_message_is_delivered_once_and_confirmed_to_its_sender(room):
    alice, _ = log_in(room, "alice", resumable=True)
    bob, _ = log_in(room, "bob")
    alice.take()
    room.handle(alice, Say("homework is page 12", cid="c1"))
    first = alice.take()
    assert bob.take() == first
    room.handle(alice, Say("homework is page 12", cid="c1"))   # the echo was lost: again
    assert bob.take() == []
    assert alice.take() == first                               # same id, same seq
    room.handle(alice, Say("to bob", to="bob", cid="c2"))
    room.handle(alice, Say("to bob", to="bob", cid="c2"))
    assert len(bob.take()) == 1 and len(alice.take()) == 2


def test_refusals_of_a_message_carry_its_cid(room):
    alice, _ = log_in(room, "alice")
    room.handle(alice, Say("   ", cid="c9"))
    assert alice.take() == [{"type": "error", "code": "empty_message",
                             "message": "The message is empty.", "cid": "c9"}]


def test_a_kick_keeps_the_nick_and_its_address_out_until_lifted(room, clock):
    teacher, _ = log_in(room, "Teacher", password="pw", ip="10.0.0.1")
    bob, _ = log_in(room, "bob", ip="10.0.0.7")
    room.handle(teacher, Kick("bob", "spam", minutes=15))
    assert bob.take()[-1] == {"type": "bye", "reason": "kicked", "message": "spam",
                              "minutes": 15, "by": "Teacher"}
    for nick, ip in [("bob", "10.0.0.8"), ("bobby", "10.0.0.7")]:
        again = FakeClient(ip)
        room.handle(again, Login(nick))
        refusal = again.take()[0]
        assert refusal["code"] == "banned"
        assert "15 minutes" in refusal["message"] and "Teacher" in refusal["message"]
        assert refusal["until"] == (1_000 + 15 * 60) * 1000
    admin = FakeClient("10.0.0.7")                 # the password is never refused for a ban
    room.handle(admin, Login("Assistant", "pw"))
    assert admin.take()[0]["type"] == "welcome"
    room.handle(teacher, AskBans())
    bans = [f for f in teacher.take() if f["type"] == "bans"][0]["bans"]
    assert [(b["nick"], b["ip"], b["by"]) for b in bans] == [("bob", "10.0.0.7", "Teacher")]
    room.handle(teacher, Unban("BOB"))
    back = FakeClient("10.0.0.7")
    room.handle(back, Login("bob"))
    assert back.take()[0]["type"] == "welcome"


def test_a_ban_runs_out_and_a_kick_of_0_minutes_bans_nobody(room, clock):
    teacher, _ = log_in(room, "Teacher", password="pw")
    bob, _ = log_in(room, "bob", ip="10.0.0.7")
    carl, _ = log_in(room, "carl", ip="10.0.0.8")
    room.handle(teacher, Kick("carl", minutes=0))
    room.handle(teacher, Kick("bob"))                     # the default: 10 minutes
    again = FakeClient("10.0.0.8")
    room.handle(again, Login("carl"))
    assert again.take()[0]["type"] == "welcome"
    clock.now += 10 * 60 + 1
    late = FakeClient("10.0.0.7")
    room.handle(late, Login("bob"))
    assert late.take()[0]["type"] == "welcome"


def test_mutes_and_slow_mode_spare_the_teacher(room, clock):
    teacher, _ = log_in(room, "Teacher", password="pw")
    ann, _ = log_in(room, "ann")
    ben, _ = log_in(room, "ben")
    for client in (teacher, ann, ben):
        client.take()
    room.handle(teacher, Mute("ann"))
    notices = ann.take()
    assert [f["type"] for f in notices] == ["notice", "notice", "room"]
    assert notices[0]["text"] == "Teacher muted you." and notices[2]["muted"] == ["ann"]
    room.handle(ann, Say("let me talk"))
    assert ann.take()[0]["code"] == "muted"
    room.handle(ben, Say("I can"))
    assert ann.take()[0]["text"] == "I can"
    room.handle(teacher, Unmute("ann"))
    room.handle(teacher, Mute(None))                      # the whole class
    for client in (ann, ben):
        client.take()
    room.handle(ben, Say("hello?"))
    assert ben.take()[0]["code"] == "muted"
    room.handle(teacher, Say("only me now"))
    assert ben.take()[0]["text"] == "only me now"
    room.handle(teacher, Unmute(None))
    room.handle(teacher, Slow(30))
    ben.take()
    room.handle(ben, Say("one"))
    room.handle(ben, Say("two"))
    first, second = ben.take()
    assert first["text"] == "one" and second["code"] == "rate_limited"
    assert "wait 30 s" in second["message"]
    clock.now += 30
    room.handle(ben, Say("three"))
    assert ben.take()[0]["text"] == "three"
    room.handle(teacher, Say("a"))
    room.handle(teacher, Say("b"))
    assert [f.get("text") for f in teacher.take()][-2:] == ["a", "b"]


def test_students_cannot_keep_order(room):
    ann, _ = log_in(room, "ann")
    for command in (Mute(None), Unmute("ann"), Slow(5), AskBans(), Unban("x")):
        room.handle(ann, command)
        assert ann.take()[0]["code"] == "forbidden"


def test_an_admins_lines_are_marked(room):
    teacher, _ = log_in(room, "Teacher", password="pw")
    ann, _ = log_in(room, "ann")
    teacher.take()
    room.handle(teacher, Say("open your books"))
    room.handle(ann, Say("ok"))
    first, second = ann.take()
    assert first["admin"] is True and "admin" not in second


def test_look_alikes_of_people_online_and_of_the_teacher_are_refused(room):
    teacher, _ = log_in(room, "Teacher", password="pw")
    log_in(room, "Mr.Smith", password="pw")
    # All-Cyrillic look-alikes (one script, so only the skeleton can tell).
    for nick, who in [("Теасһег", "Teacher"), ("TEACHER", None)]:
        fake = FakeClient("10.0.0.66")
        room.handle(fake, Login(nick))
        refusal = fake.take()[0]
        assert refusal["code"] == "nick_taken", nick
        if who:
            assert who in refusal["message"]
    ann, _ = log_in(room, "papa")
    fake = FakeClient()
    room.handle(fake, Login("рара"))                      # Cyrillic р, а
    assert fake.take()[0]["code"] == "nick_taken"
    for nick in ("Тeacher", "Мr.Smith"):                  # one Cyrillic letter among Latin
        fake = FakeClient()
        room.handle(fake, Login(nick))
        refusal = fake.take()[0]
        assert refusal["code"] == "nick_invalid" and "one alphabet" in refusal["message"]
    mixed = FakeClient()
    room.handle(mixed, Login("Tеаcher2"))                 # Latin with Cyrillic е, а
    assert mixed.take()[0]["code"] == "nick_invalid"


def test_the_teachers_nick_stays_the_teachers_after_they_leave(room):
    teacher, _ = log_in(room, "Teacher", password="pw")
    room.handle(teacher, Logout())
    student = FakeClient("10.0.0.5")
    room.handle(student, Login("teacher"))
    refusal = student.take()[0]
    assert refusal["code"] == "nick_taken" and "an admin's nickname" in refusal["message"]
    back, welcome = log_in(room, "Teacher", password="pw")   # the password takes it back
    assert welcome["admin"] is True


def prove(room, client, nick, password, cnonce="c0ffee"):
    room.handle(client, AskChallenge())
    nonce = client.take()[0]["nonce"]
    key = auth.password_key(password)
    return nonce, Login(nick, cnonce=cnonce, proof=auth.client_proof(key, nonce, cnonce, nick))


def test_an_admin_logs_in_by_proof_and_the_server_proves_it_knows_the_password(room):
    teacher = FakeClient()
    nonce, login = prove(room, teacher, "Teacher", "pw")
    room.handle(teacher, login)
    welcome = teacher.take()[0]
    assert welcome["admin"] is True
    assert welcome["server_proof"] == auth.server_proof(auth.password_key("pw"), nonce,
                                                        "c0ffee")


def test_a_recorded_login_cannot_be_replayed(room):
    teacher = FakeClient()
    _, recorded = prove(room, teacher, "Teacher", "pw")
    room.handle(teacher, recorded)
    assert teacher.take()[0]["admin"] is True
    for attempt in range(2):                  # on a new connection, or after a new nonce
        thief = FakeClient("10.0.0.66")
        if attempt:
            room.handle(thief, AskChallenge())
            thief.take()
        room.handle(thief, replace(recorded, nick="Teacher"))
        assert thief.take()[0]["code"] == "bad_password"


def test_a_wrong_proof_counts_as_a_wrong_password(room):
    guesser = FakeClient("10.0.0.66")
    codes = []
    for n in range(5):
        _, login = prove(room, guesser, "eve", f"guess{n}")
        room.handle(guesser, login)
        codes.append(guesser.take()[0]["code"])
    assert codes == ["bad_password"] * 5
    assert guesser.closing


def test_the_admin_password_takes_the_teachers_nick_back_from_a_student(room):
    squatter, _ = log_in(room, "Teacher", ip="10.0.0.5")
    ann, _ = log_in(room, "ann")
    teacher, welcome = log_in(room, "teacher", password="pw")
    assert welcome["admin"] is True
    bye = squatter.take()[-1]
    assert bye["type"] == "bye" and "the teacher's nickname" in bye["message"]
    assert squatter.closing
    room.flush_lefts()
    left = [f for f in ann.take() if f["type"] == "left"]
    assert [(f["nick"], f["reason"]) for f in left] == [("Teacher", "kicked")]


def test_a_kick_bans_a_shared_address_not_and_a_personal_one_does(room):
    teacher, _ = log_in(room, "Teacher", password="pw", ip="10.0.0.1")
    log_in(room, "kim", ip="10.0.0.50")
    log_in(room, "lea", ip="10.0.0.60")
    log_in(room, "max", ip="10.0.0.60")           # lea and max share a lab machine
    room.handle(teacher, Kick("kim"))
    room.handle(teacher, Kick("lea"))
    room.handle(teacher, AskBans())
    bans = [f for f in teacher.take() if f["type"] == "bans"][0]["bans"]
    assert {(b["nick"], b["ip"]) for b in bans} == {("kim", "10.0.0.50"), ("lea", None)}
    classmate = FakeClient("10.0.0.60")
    room.handle(classmate, Login("nina"))
    assert classmate.take()[0]["type"] == "welcome"   # the lab machine is not shut out
    again = FakeClient("10.0.0.60")
    room.handle(again, Login("lea"))
    assert again.take()[0]["code"] == "banned"        # lea herself is


def test_padding_the_teachers_nick_does_not_pass(room):
    log_in(room, "Teacher", password="pw")
    for nick in ("Teacher_", "Teacher.", "T-eacher", "_teacher_"):
        fake = FakeClient("10.0.0.9")
        room.handle(fake, Login(nick))
        assert fake.take()[0]["code"] == "nick_taken", nick


def test_a_muted_student_may_still_ask_the_teacher_privately(room):
    teacher, _ = log_in(room, "Teacher", password="pw")
    ann, _ = log_in(room, "ann")
    ben, _ = log_in(room, "ben")
    room.handle(teacher, Mute(None))
    room.handle(teacher, Mute("ann"))
    for client in (teacher, ann, ben):
        client.take()
    room.handle(ann, Say("I don't understand question 3", to="Teacher"))
    assert teacher.take()[0]["text"] == "I don't understand question 3"
    room.handle(ann, Say("psst", to="ben"))
    assert ann.take()[-1]["code"] == "muted" and ben.take() == []
