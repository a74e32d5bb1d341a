"""A whole lesson against `run_server.py` as a process, as the class would live it.

The teacher and 30 students (22 programs speaking JSON, 8 people on `nc`), each on a
loopback address of their own, chat in several scripts; a late joiner gets the history;
one student's link dies silently and comes back; the teacher kicks, mutes and unmutes;
someone floods; the server is stopped with SIGTERM and started again on the same data
folder. Every assertion is something a person in the room would notice.
"""

import time

from tests.lesson.harness import PASSWORD, lesson_text, source, wait_for

JSON_NICKS = ["Anna", "Boris", "Chloé", "Dmitri", "Émile", "Fred", "Greta", "Hiro",
              "Ines", "Jonas", "Kim", "Lena", "Noor", "Olga", "Poe", "Quinn", "Raúl",
              "Sasha", "Tomás", "Uma", "Vera"]           # + Mila, through the relay
TEXT_NICKS = ["nina", "omar", "pia", "rafa", "sven", "tara", "ugo", "wen"]
HEARTBEAT = 1.0
GRACE = 30.0
PROMPT_BOUND = 2.0          # "about a second" (--prompt-after 1) and a margin
LESSON_MESSAGES = 60


def public_of(student):
    return [m for m in student.messages() if m["to"] is None]


def lesson_lines(person):
    """The chat lines (not notices) an nc user has seen."""
    return [line for line in person.lines if line.startswith("[")]


class Lesson:
    """Who is in the room, so that each scene can look at everyone."""

    def __init__(self, server, relay, people):
        self.server, self.relay, self.people = server, relay, people
        self.teacher = None
        self.json = {}          # nick -> Student (Mila included)
        self.text = {}          # nick -> TextStudent

    @property
    def everyone_json(self):
        return [self.teacher, *self.json.values()]

    def student(self, nick, n, via_relay=False):
        port = self.relay.port if via_relay else self.server.port
        return self.people.student(port, nick, source(n))


def test_a_lesson_of_thirty_students_end_to_end_within_a_minute(servers, relays, people):
    started = time.monotonic()
    server = servers("--heartbeat", str(HEARTBEAT), "--resume-grace", str(GRACE))
    relay = relays(server.port, source_host=source(60))   # Mila's link, on 127.0.0.60
    room = Lesson(server, relay, people)

    first_nc_user_sees_a_prompt_without_typing(room)
    teacher_and_class_log_in(room)
    look_alikes_of_online_nicks_are_refused(room)
    sixty_messages_in_many_scripts_and_private_ones(room)
    late_joiners_get_the_history_and_the_list(room)
    a_silently_dead_link_resumes_with_exactly_what_it_missed(room)
    a_flood_is_cut_at_the_burst(room)
    the_teacher_mutes_and_unmutes_the_class(room)
    nc_lines_that_look_like_commands_are_messages(room)
    before = the_teacher_kicks_and_the_ban_holds(room)
    sigterm_tells_everyone_and_exits_0(room)
    after_a_restart_the_lesson_is_still_there(room, before)

    for student in room.everyone_json:
        assert student.others == [], f"{student.nick} was shown a line for people: " \
                                     f"{student.others[:1]}"
    assert time.monotonic() - started < 60


# ---- the scenes -------------------------------------------------------------------------

def first_nc_user_sees_a_prompt_without_typing(room):
    nina = room.people.text(room.server.port, source(40))
    prompt = nina.wait(lambda line: True, timeout=PROMPT_BOUND + 1, what="any prompt")
    waited = nina.arrived[0] - nina.connected_at
    assert waited < PROMPT_BOUND, f"the prompt came after {waited:.2f} s"
    assert not prompt.startswith("{"), prompt
    assert "nick" in prompt.lower(), f"the prompt does not ask for a nickname: {prompt!r}"
    assert nina.login("nina").startswith("* Welcome, nina!")
    room.text["nina"] = nina


def teacher_and_class_log_in(room):
    teacher = room.teacher = room.student("Teacher", 2)
    welcome = teacher.login(PASSWORD)
    assert welcome["type"] == "welcome" and welcome["admin"] is True, welcome
    for i, nick in enumerate(JSON_NICKS):
        student = room.student(nick, 10 + i)
        answer = student.login()
        assert answer["type"] == "welcome" and answer["admin"] is False, answer
        room.json[nick] = student
    mila = room.student("Mila", 60, via_relay=True)
    answer = mila.login(resumable=True)
    assert answer["type"] == "welcome", answer
    assert answer.get("session") and answer.get("heartbeat") == HEARTBEAT, \
        f"a resumable login's welcome has no session/heartbeat: {answer}"
    room.json["Mila"] = mila
    for j, nick in enumerate(TEXT_NICKS[1:], start=1):
        person = room.people.text(room.server.port, source(40 + j))
        assert person.login(nick).startswith(f"* Welcome, {nick}!")
        room.text[nick] = person
    everyone = {"Teacher", *room.json, *room.text}
    assert len(everyone) == 31
    teacher.send({"type": "users"})
    users = teacher.next("users")
    assert set(users["users"]) == everyone and users["admins"] == ["Teacher"], users


def look_alikes_of_online_nicks_are_refused(room):
    # Cyrillic Т followed by Latin letters: it reads "Teacher".
    fake = room.student("Тeacher", 70)
    refused = fake.login()
    assert refused["type"] == "error" and refused["code"] in ("nick_invalid", "nick_taken"), \
        refused
    assert len(refused["message"]) > 15, f"no sentence says why: {refused}"
    # All Cyrillic (one script), but it looks exactly like Poe, who is online.
    fake_poe = room.student("Рое", 71)
    refused = fake_poe.login()
    assert refused["type"] == "error" and refused["code"] == "nick_taken", refused
    assert len(refused["message"]) > 15, refused
    room.teacher.send({"type": "users"})
    assert "Тeacher" not in room.teacher.next("users")["users"]


def sixty_messages_in_many_scripts_and_private_ones(room):
    senders = [*room.json.values(), *room.text.values()]           # 30 students
    texts = [lesson_text(i) for i in range(LESSON_MESSAGES)]
    for i, text in enumerate(texts):
        sender = senders[i % len(senders)]
        if hasattr(sender, "say"):
            sender.say(text)
        else:
            sender.type(text)
    room.json["Anna"].say("Boris, can I borrow your ruler? 📏", to="Boris")
    room.text["nina"].type("-to Chloé psst: l'exercice 3, c'est ½ ou ¾?")
    room.json["Dmitri"].say("omar, ты сделал домашку?", to="omar")
    wanted = set(texts)
    for student in room.everyone_json:
        wait_for(lambda: wanted <= set(student.texts()), 10,
                 f"{student.nick} seeing the 60 lesson messages")
    for person in room.text.values():
        wait_for(lambda: sum(any(t in line for t in wanted)
                             for line in lesson_lines(person)) >= LESSON_MESSAGES, 10,
                 f"{person.nick} seeing the 60 lesson messages")
    # One order for everyone.
    order = [m["id"] for m in public_of(room.teacher) if m["text"] in wanted]
    assert len(order) == LESSON_MESSAGES == len(set(order))
    assert order == sorted(order)
    for student in room.json.values():
        assert [m["id"] for m in public_of(student) if m["text"] in wanted] == order
    # Private messages reach the one they are for (and the sender's echo), nobody else.
    boris = room.json["Boris"].next("msg", from_="Anna", to="Boris")
    assert boris["text"].endswith("📏")
    room.json["Anna"].next("msg", from_="Anna", to="Boris")
    chloe = room.json["Chloé"].next("msg", from_="nina", to="Chloé")
    assert chloe["text"] == "psst: l'exercice 3, c'est ½ ou ¾?"
    omar = room.text["omar"]
    omar.wait(lambda line: "Dmitri -> omar: omar, ты сделал домашку?" in line,
              what="Dmitri's private line")
    room.text["nina"].wait(lambda line: "nina -> Chloé: psst" in line, what="nina's echo")
    privates = ("ruler", "l'exercice 3", "домашку")
    for student in room.everyone_json:
        for m in student.messages():
            if m["to"] is not None:
                assert student.nick in (m["from"], m["to"]), f"{student.nick} saw {m}"
    for person in room.text.values():
        for line in lesson_lines(person):
            if any(p in line for p in privates):
                assert person.nick in line.split(":")[1], f"{person.nick} saw {line}"


def late_joiners_get_the_history_and_the_list(room):
    teacher = room.teacher
    last_50 = public_of(teacher)[-50:]
    late = room.student("Late", 80)
    welcome = late.login()
    assert welcome["type"] == "welcome", welcome
    assert len(late.welcome_raw) > 8192, "the welcome should hold 50 long messages"
    history = welcome["history"]
    assert [(m["id"], m["from"], m["text"]) for m in history] == \
        [(m["id"], m["from"], m["text"]) for m in last_50]
    online = {"Teacher", *room.json, *room.text, "Late"}
    assert set(welcome["users"]) == online and welcome["admins"] == ["Teacher"]
    room.json["Late"] = late
    # A person on nc who comes late reads the same 50 messages.
    zoe = room.people.text(room.server.port, source(81))
    zoe.wait(lambda line: "nick" in line.lower(), timeout=PROMPT_BOUND + 1, what="prompt")
    assert zoe.login("zoe").startswith("* Welcome, zoe!")
    zoe.wait(lambda line: line.startswith("* Online ("), what="the Online line")
    assert "* Earlier in the chat (50 messages):" in zoe.lines
    shown = lesson_lines(zoe)
    assert len(shown) == 50 and all(m["text"] in line for m, line in zip(last_50, shown))
    online_line = next(line for line in zoe.lines if line.startswith("* Online ("))
    assert online_line.startswith(f"* Online ({len(online) + 1}): ")
    assert "Teacher (admin)" in online_line
    room.text["zoe"] = zoe
    for student in room.everyone_json:
        wait_for(lambda: student.all("joined", nick="zoe"), what=f"{student.nick}: zoe joined")


def a_silently_dead_link_resumes_with_exactly_what_it_missed(room):
    """The link dies without a FIN; the server notices within 3 × heartbeat, tells
    nobody, keeps Mila's nick; she comes back with exactly the missed events."""
    mila, teacher, boris = room.json["Mila"], room.teacher, room.json["Boris"]
    marks = {s.nick: len(s.frames) for s in room.everyone_json if s is not mila}
    text_marks = {p.nick: len(p.lines) for p in room.text.values()}
    links = room.relay.freeze()
    seen = mila.max_seq
    assert len(links) == 1
    # While she is gone: a public message, a private one to her, a leave, a join.
    teacher.say("While Mila's link is down (1): open your books at page 42.")
    boris.say("Mila, the homework is page 42.", to="Mila")
    greta = room.json.pop("Greta")
    greta.send({"type": "logout"})
    greta.next("bye")
    yara = room.student("Yara", 82)
    assert yara.login()["type"] == "welcome"
    room.json["Yara"] = yara
    dead_cid = mila.say("Sorry, my Wi-Fi is flaky (sent while the link was dead).")
    # The server notices the silence (it closes its end of the link) within 3 heartbeats
    # of her last ping (a margin of 1 s: its clock ticks every 0.5 s).
    wait_for(links[0].upstream_closed_by_server, 3 * HEARTBEAT + 1.0,
             "the server noticing the dead link (3 × heartbeat)")
    teacher.say("While Mila's link is down (2): who has finished?")
    the_end = teacher.next("msg", text="While Mila's link is down (2): who has finished?")
    for student in room.everyone_json:
        if student is not mila:
            wait_for(lambda: student.all("msg", id=the_end["id"]), what=student.nick)
    # She is still in the room for everyone.
    teacher.send({"type": "users"})
    assert "Mila" in teacher.next("users")["users"]

    # What she missed, in the room's order: public messages, joins and leaves, and her
    # own private messages.
    expected = {f["seq"]: f for f in teacher.frames
                if f["type"] in ("msg", "joined", "left") and f.get("seq", 0) > seen
                and f.get("to") is None}
    private = boris.all("msg", to="Mila", text="Mila, the homework is page 42.")[0]
    expected[private["seq"]] = private
    assert len(expected) == 5, expected     # 2 public, 1 private, Greta's leave, Yara's join
    welcome = mila.resume()
    assert welcome["type"] == "welcome" and welcome.get("resumed") is True, welcome
    assert welcome["history"] == [] and welcome["nick"] == "Mila"
    assert not welcome.get("gap"), welcome
    echo = mila.next("msg", cid=dead_cid)          # the outbox was sent again
    replay = [f for f in mila.frames[mila.frames.index(welcome) + 1:]
              if f["type"] in ("msg", "joined", "left")]
    replay_before_echo = replay[:replay.index(echo)]
    assert [(f["type"], f["seq"]) for f in replay_before_echo] == \
        [(f["type"], f["seq"]) for _, f in sorted(expected.items())], \
        "the resumed session did not get exactly the missed events"
    assert {"Yara", "Mila"} <= set(welcome["users"]) and "Greta" not in welcome["users"]
    # Her message from the dead link is delivered once, to everyone.
    for student in room.everyone_json:
        if student is not mila:
            wait_for(lambda: student.all("msg", cid=dead_cid), what=f"{student.nick}: "
                                                                     f"Mila's message")
    # Sent again with the same cid (as after another lost link): not delivered again;
    # Mila alone gets the original event once more.
    mila.send({"type": "msg", "text": echo["text"], "cid": dead_cid})
    again = mila.wait(lambda f: f["type"] == "msg" and f.get("cid") == dead_cid
                      and f is not echo, what="the original message again")
    assert again["id"] == echo["id"], (again, echo)
    teacher.say("Welcome back, Mila.")
    for student in room.everyone_json:
        wait_for(lambda: student.all("msg", text="Welcome back, Mila."), what=student.nick)
    for student in room.everyone_json:
        if student is not mila:
            assert len(student.all("msg", cid=dead_cid)) == 1, student.nick
    for person in room.text.values():
        person.wait(lambda line: "Welcome back, Mila." in line, what="the welcome back")
        assert sum("flaky" in line for line in person.lines) == 1, person.nick
    # Nobody saw her leave or come back.
    for student in room.everyone_json:
        if student is not mila and student.nick in marks:
            shown = [f for f in student.frames[marks[student.nick]:]
                     if f["type"] in ("left", "joined") and f["nick"] == "Mila"]
            assert shown == [], f"{student.nick} saw {shown}"
    for person in room.text.values():
        if person.nick in text_marks:
            shown = [line for line in person.lines[text_marks[person.nick]:]
                     if line.startswith("* Mila ")]
            assert shown == [], f"{person.nick} saw {shown}"
    room.relay.thaw()


def a_flood_is_cut_at_the_burst(room):
    """20 messages at once from a student: at most the burst of 5 (plus what the rate
    of 1/s refills meanwhile) reach the class; the rest is refused `rate_limited`."""
    fred = room.json["Fred"]
    begun = time.monotonic()
    cids = [fred.say(f"FLOOD {k} " + "x" * 50) for k in range(20)]
    took = time.monotonic() - begun
    wait_for(lambda: all(fred.all("msg", cid=c) or fred.all("error", cid=c) for c in cids),
             what="Fred's 20 answers")
    refused = [f for c in cids for f in fred.all("error", cid=c)]
    delivered = [c for c in cids if fred.all("msg", cid=c)]
    assert {f["code"] for f in refused} == {"rate_limited"}, refused[:2]
    assert all(len(f["message"]) > 10 for f in refused)
    allowed = 5 + int(took * 1.0) + 1
    assert 1 <= len(delivered) <= allowed, (len(delivered), took)
    room.teacher.say("After the flood.")
    for student in room.everyone_json:
        wait_for(lambda: student.all("msg", text="After the flood."), what=student.nick)
        got = [m for m in student.messages() if m["text"].startswith("FLOOD ")]
        assert len(got) == len(delivered) <= allowed, (student.nick, len(got))
    for person in room.text.values():
        person.wait(lambda line: "After the flood." in line, what="after the flood")
        assert sum("FLOOD " in line for line in lesson_lines(person)) == len(delivered)


def the_teacher_mutes_and_unmutes_the_class(room):
    teacher, anna, pia = room.teacher, room.json["Anna"], room.text["pia"]
    teacher.send({"type": "mute"})
    for student in room.everyone_json:
        room_state = student.wait(lambda f: f["type"] == "room" and f.get("muted_all"),
                                  what="the room muted")
        assert room_state["muted_all"] is True
    pia.wait(lambda line: line == "* Teacher muted the class: only admins can write now.",
             what="the mute notice")
    cid = anna.say("Can I still talk?")
    refused = anna.wait(lambda f: f["type"] == "error" and f.get("cid") == cid,
                        what="the muted refusal")
    assert refused["code"] == "muted" and len(refused["message"]) > 10, refused
    start = len(pia.lines)
    pia.type("and me?")
    said = pia.wait(lambda line: line.startswith("! "), start=start, what="pia refused")
    assert said.startswith("! muted:"), said
    teacher.say("Quiet please: test time.")
    for student in room.everyone_json:
        quiet = wait_for(lambda: student.all("msg", text="Quiet please: test time."),
                         what=student.nick)
        assert quiet[0].get("admin") is True, f"the teacher's line is not marked: {quiet}"
    pia.wait(lambda line: "Teacher (admin): Quiet please: test time." in line,
             what="the teacher's line, marked (admin)")
    teacher.send({"type": "unmute"})
    anna.wait(lambda f: f["type"] == "room" and f.get("muted_all") is False,
              what="the room unmuted")
    anna.say("Thank you!")
    room.teacher.wait(lambda f: f["type"] == "msg" and f["text"] == "Thank you!",
                      what="Anna's message after the unmute")
    for student in room.everyone_json:
        assert not student.all("msg", text="Can I still talk?"), student.nick
        assert not student.all("msg", text="and me?"), student.nick


def nc_lines_that_look_like_commands_are_messages(room):
    rafa, sven, anna = room.text["rafa"], room.text["sven"], room.json["Anna"]
    rafa.type("-1/2 + 3/4 = 1/4")
    assert anna.wait(lambda f: f["type"] == "msg" and f["from"] == "rafa"
                     and f["text"] == "-1/2 + 3/4 = 1/4", what="rafa's sum")
    sven.type("down server room is cold")
    assert anna.wait(lambda f: f["type"] == "msg" and f["from"] == "sven"
                     and f["text"] == "down server room is cold", what="sven's complaint")
    assert room.server.process.poll() is None, "a student shut the server down"
    assert not any(s.all("shutdown") for s in room.everyone_json)


def the_teacher_kicks_and_the_ban_holds(room):
    teacher, kim = room.teacher, room.json.pop("Kim")
    kim_address = source(10 + JSON_NICKS.index("Kim"))
    teacher.send({"type": "kick", "nick": "Kim", "reason": "phones away"})
    bye = kim.next("bye")
    assert bye["reason"] == "kicked" and bye.get("message") == "phones away", bye
    assert bye.get("minutes") == 10, bye
    kim.wait(lambda f: f["type"] == "_closed", what="Kim's connection closing")
    for student in room.everyone_json:
        left = student.wait(lambda f: f["type"] == "left" and f["nick"] == "Kim",
                            what="Kim leaving")
        assert left["reason"] == "kicked" and left.get("message") == "phones away", left
    room.text["ugo"].wait(lambda line: line.startswith("* Kim left (kicked"),
                          what="Kim's leave line")
    for nick, address in (("Kim", kim_address), ("Kimberly", kim_address),
                          ("Kim", source(90))):
        comeback = room.people.student(room.server.port, nick, address)
        refused = comeback.login()
        assert refused["type"] == "error" and refused["code"] == "banned", (nick, refused)
        assert refused.get("until", 0) > time.time() * 1000 + 8 * 60_000, refused
        assert len(refused["message"]) > 10, refused
    # A ban of one address leaves the rest of the class alone.
    newcomer = room.student("Xavier", 84)
    assert newcomer.login()["type"] == "welcome"
    room.json["Xavier"] = newcomer
    before = {"history": public_of(room.teacher)[-50:],
              "max_id": max(m["id"] for m in room.teacher.messages()),
              "kim": kim_address, "mila_session": room.json["Mila"].session}
    return before


def sigterm_tells_everyone_and_exits_0(room):
    status = room.server.terminate()
    for student in room.everyone_json:
        shutdown = student.wait(lambda f: f["type"] == "shutdown", what="shutdown")
        assert shutdown["by"] == "server", shutdown
    for person in room.text.values():
        person.wait(lambda line: line.startswith("* The server is shutting down"),
                    what="the shutdown line")
    assert status == 0, f"exit status {status}: {room.server.output()[-2000:]}"


def after_a_restart_the_lesson_is_still_there(room, before):
    server = room.server.start()
    ruth = room.people.student(server.port, "Ruth", source(85))
    welcome = ruth.login()
    assert welcome["type"] == "welcome", welcome
    assert [(m["id"], m["from"], m["text"]) for m in welcome["history"]] == \
        [(m["id"], m["from"], m["text"]) for m in before["history"]]
    ruth.say("Is the lesson still here?")
    echo = ruth.next("msg", text="Is the lesson still here?")
    assert echo["id"] > before["max_id"], (echo["id"], before["max_id"])
    kim = room.people.student(server.port, "Kim", before["kim"])
    refused = kim.login()
    assert refused["type"] == "error" and refused["code"] == "banned", refused
    teacher = room.people.student(server.port, "Teacher", source(2))
    assert teacher.login(PASSWORD)["admin"] is True
    # A restart ends every session: Mila's old one logs her in afresh.
    mila = room.people.student(server.port, "Mila", source(60))
    fresh = mila.login(resumable=True, session=before["mila_session"], seq=1)
    assert fresh["type"] == "welcome" and not fresh.get("resumed"), fresh
    assert len(fresh["history"]) == 50
    assert server.terminate() == 0
