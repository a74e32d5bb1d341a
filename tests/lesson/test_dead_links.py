"""Links that die without a word, through the freezable relay (heartbeat 1 s)."""

import time

from tests.lesson.harness import source, wait_for

HEARTBEAT = 1.0


def test_a_silent_link_is_let_go_only_when_the_grace_ends_about_5_s(servers, relays, people):
    """Heartbeat 1 s, grace 2 s: the class sees Anna leave (`disconnected`) once, no
    sooner than 3 heartbeats + the grace after her last ping and within 2 s after that;
    coming back later with the ended session is a fresh login, shown as a join."""
    grace = 2.0
    server = servers("--heartbeat", str(HEARTBEAT), "--resume-grace", str(grace),
                     data_dir=None)
    relay = relays(server.port)
    bob = people.student(server.port, "Bob", source(3))
    bob.login()
    anna = people.student(relay.port, "Anna", source(2))
    welcome = anna.login(resumable=True)
    assert welcome.get("grace") == grace, welcome
    bob.next("joined", nick="Anna")
    links = relay.freeze()
    frozen_at = time.monotonic()
    wait_for(links[0].upstream_closed_by_server, 3 * HEARTBEAT + 1.0,
             "the server noticing the dead link within 3 heartbeats")
    assert not bob.all("left"), "the class was told before the grace ended"
    left = bob.next("left", timeout=3 * HEARTBEAT + grace + 3.0)
    after = time.monotonic() - frozen_at
    assert left["nick"] == "Anna" and left["reason"] == "disconnected", left
    # Her last ping went out at most 0.4 heartbeat before the freeze.
    assert 3 * HEARTBEAT + grace - 0.5 <= after <= 3 * HEARTBEAT + grace + 2.0, after
    relay.thaw()
    anna.close()
    again = people.student(relay.port, "Anna", source(2))
    fresh = again.login(resumable=True, session=anna.session, seq=anna.max_seq)
    assert fresh["type"] == "welcome" and not fresh.get("resumed"), fresh
    assert bob.next("joined", nick="Anna")
    assert len(bob.all("left", nick="Anna")) == 1


def test_a_resume_on_a_link_the_server_still_trusts_replaces_it_quietly_within_1_s(
        servers, relays, people):
    """Anna's link freezes and she resumes at once, before the server could notice:
    the new link takes over, the class sees nothing, and the old one is closed."""
    server = servers("--heartbeat", str(HEARTBEAT), "--resume-grace", "30", data_dir=None)
    relay = relays(server.port)
    bob = people.student(server.port, "Bob", source(3))
    bob.login()
    anna = people.student(relay.port, "Anna", source(2))
    anna.login(resumable=True)
    bob.next("joined", nick="Anna")
    links = relay.freeze()
    seen = anna.max_seq
    bob.say("Anna, are you there?")
    asked = bob.next("msg", text="Anna, are you there?")
    started = time.monotonic()
    welcome = anna.resume()
    assert welcome["type"] == "welcome" and welcome.get("resumed") is True, welcome
    missed = anna.next("msg", text="Anna, are you there?")
    assert missed["id"] == asked["id"] and missed["seq"] > seen
    anna.say("Yes!")
    bob.next("msg", text="Yes!")
    assert time.monotonic() - started < 1.0
    assert not bob.all("left") and len(bob.all("joined", nick="Anna")) == 1
    # The old link is the server's no more: it closed its end.
    wait_for(links[0].upstream_closed_by_server, 2.0, "the old link being closed")
    relay.thaw()
    bob.say("still one Anna")
    anna.next("msg", text="still one Anna")
    assert len(anna.all("msg", text="still one Anna")) == 1
    assert not bob.all("left")
