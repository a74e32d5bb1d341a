"""`kill -9` in the middle of a lesson, three times, and the lesson goes on."""

import re
import time

from tests.lesson.harness import source


def test_kill_9_keeps_every_echoed_message_three_times_in_10_s(servers, people):
    """Each pass: Alice sends 8 messages and waits for each echo; the server is killed
    with SIGKILL at once and started again on the same data folder. Every message Alice
    saw confirmed is in the history, ids go on past every id shown, a resend with the
    same cid is not shown twice, and the generated admin password is the same."""
    started = time.monotonic()
    server = servers("--rate-limit", "0", password=None)
    found = re.search(r"Admin password \(generated\): (\S+)", server.stdout())
    assert found, f"no generated password in the banner: {server.stdout()}"
    password = found.group(1)
    confirmed = []                                # (id, text) of every echo Alice saw
    last = None
    for round_ in range(3):
        alice = people.student(server.port, "Alice", source(2))
        assert alice.login()["type"] == "welcome"
        teacher = people.student(server.port, "Teacher", source(3))
        assert teacher.login(password)["admin"] is True, "the admin password changed"
        if last is not None:
            # The message confirmed just before the crash, sent again with its cid
            # (a client whose echo got lost would): the class does not see it twice.
            alice.send({"type": "msg", "text": last["text"], "cid": last["cid"]})
            again = alice.next("msg", cid=last["cid"])
            assert again["id"] == last["id"], (again, last)
            alice.say("checking")
            teacher.next("msg", text="checking")
            assert not teacher.all("msg", cid=last["cid"]), "a resend was shown again"
        for k in range(8):
            cid = alice.say(f"round {round_} message {k}: ½ + ¼ = ¾ ✓")
            last = alice.next("msg", cid=cid)
            confirmed.append((last["id"], last["text"]))
        server.kill9()
        server.start()
        late = people.student(server.port, f"Late{round_}", source(10 + round_))
        welcome = late.login()
        history = [(m["id"], m["text"]) for m in welcome["history"]]
        missing = [item for item in confirmed if item not in history]
        assert not missing, f"kill -9 lost messages already confirmed: {missing}"
        late.say("after the crash")
        after = late.next("msg", text="after the crash")
        highest = max(i for i, _ in confirmed)
        assert after["id"] > highest, f"id {after['id']} after ids up to {highest} were shown"
        confirmed.append((after["id"], after["text"]))
    assert server.terminate() == 0
    assert time.monotonic() - started < 10
