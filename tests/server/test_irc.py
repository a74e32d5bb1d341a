"""IRC clients in the room, over real sockets: raw lines, and the `irc` package as a bot."""

import re
import threading
import time

import pytest

from tests.server.irc_peer import IrcPeer
from tests.support import Peer, run_server

PASSWORD = "secret"


@pytest.fixture
def ircs(server):
    peers = []

    def make(nick=None, password=None, caps="", source=None) -> IrcPeer:
        peer = IrcPeer(server.port, source)
        peers.append(peer)
        if nick:
            peer.register(nick, password, caps)
        return peer

    yield make
    for peer in peers:
        peer.close()


def commands(lines):
    return [line.command for line in lines]


# ---- registration ----------------------------------------------------------------

def test_registration_waits_for_cap_end_then_joins_the_class(ircs):
    peer = ircs()
    peer.say("CAP LS 302", "NICK alice", "USER alice 0 * :Alice A")
    ls = peer.expect("CAP")
    assert ls.params[:2] == ("*", "LS")
    assert set(ls.params[2].split()) == {"server-time", "echo-message", "multi-prefix"}
    assert peer.silent()                            # no 001 before CAP END
    peer.say("CAP REQ :multi-prefix", "CAP END")
    got = peer.until("366")
    names = commands(got)
    assert names[0] == "CAP" and got[0].params[1] == "ACK"
    for numeric in ("001", "002", "003", "004", "005", "375", "372", "376", "JOIN", "353"):
        assert numeric in names
    join = got[names.index("JOIN")]
    assert join.prefix == "alice!alice@classroom" and join.params == ("#classroom",)
    support = " ".join(" ".join(l.params[1:-1]) for l in got if l.command == "005")
    for token in ("NICKLEN=24", "CHANTYPES=#", "CHANNELLEN=50", "TOPICLEN=300",
                  "PREFIX=(ov)@+", "CASEMAPPING=ascii"):
        assert token in support


def test_without_cap_registration_is_at_nick_and_user(ircs):
    peer = ircs()
    peer.say("NICK bob", "USER bob 0 * :Bob")
    assert peer.expect("001").params[0] == "bob"


def test_a_unicode_nick_and_the_rooms_nick_rules(ircs, login):
    login("alice")
    login("oca")
    peer = ircs()
    peer.say("NICK ALICE", "USER x 0 * :X")
    assert peer.expect("433").params[:2] == ("*", "ALICE")          # case-insensitive
    peer.say("NICK оса")                                            # Cyrillic о, с, а
    assert peer.expect("433").params[1] == "оса"                    # a look-alike
    peer.say("NICK аlice")                                          # Cyrillic а, Latin lice
    assert peer.expect("432").params[1] == "аlice"                  # mixed scripts
    peer.say("NICK bad!nick")
    assert peer.expect("432").params[1] == "bad!nick"
    peer.say("NICK Zoë")
    assert peer.expect("001").params[0] == "Zoë"


def test_commands_before_registration_get_451_and_missing_parameters_461(ircs):
    peer = ircs()
    peer.say("NICK carol", "JOIN :", "USER onlyone")
    assert peer.expect("451").params[0] == "*"
    assert peer.expect("461").params[1] == "USER"
    peer.say("USER carol 0 * :C")
    peer.until("366")
    peer.say("USER again 0 * :x", "PASS again")
    assert commands([peer.message(), peer.message()]) == ["462", "462"]


def test_the_irc_words_decide_the_dialect_and_nothing_else(server, connect):
    text_user = connect()
    text_user.send_raw(b"NICKY\n")
    assert "Welcome, NICKY" in text_user.text()


# ---- talking ---------------------------------------------------------------------

def test_public_messages_both_ways_with_json_and_nc_users(ircs, login, connect):
    json_user = login("jay")
    nc_user = connect()
    nc_user.send_raw(b"nina\n")
    assert "Welcome" in nc_user.text()
    alice = ircs("alice")
    json_user.expect("joined")
    alice.say("PRIVMSG #classroom :hello class ✓")
    message = json_user.expect("msg")
    assert (message["from"], message["to"], message["text"]) == ("alice", None, "hello class ✓")
    assert any("alice: hello class ✓" in nc_user.text() for _ in range(10))
    assert alice.silent()                     # no echo: IRC clients show what they sent
    json_user.send({"type": "msg", "text": "hi alice"})
    line = alice.expect("PRIVMSG")
    assert (line.prefix, line.params) == ("jay!jay@classroom", ("#classroom", "hi alice"))
    nc_user.send_raw(b"from nc\n")
    assert alice.expect("PRIVMSG").params == ("#classroom", "from nc")


def test_private_messages_both_ways_and_401(ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    alice.say("PRIVMSG JAY :psst")
    message = json_user.expect("msg")
    assert (message["from"], message["to"], message["text"]) == ("alice", "jay", "psst")
    json_user.send({"type": "msg", "text": "yes?", "to": "alice"})
    line = alice.expect("PRIVMSG")
    assert (line.prefix, line.params) == ("jay!jay@classroom", ("alice", "yes?"))
    alice.say("PRIVMSG zoe :anyone?")
    assert alice.expect("401").params[1] == "zoe"
    alice.say("NOTICE zoe :no answer to a notice")
    assert alice.silent()


def test_echo_message_and_server_time_when_asked(ircs, login):
    json_user = login("jay")
    json_user.send({"type": "msg", "text": "before you came"})
    alice = ircs("alice", caps="echo-message server-time")
    alice.say("PRIVMSG #classroom :mine")
    echo = alice.expect("PRIVMSG")
    assert echo.params == ("#classroom", "before you came") and "time" in echo.tags
    echo = alice.expect("PRIVMSG")
    assert echo.params == ("#classroom", "mine") and echo.tags["time"].endswith("Z")
    plain = ircs("bob")
    history = [l for l in plain.until("NOTICE", 2) if l.command == "PRIVMSG"]
    assert not history
    lines = plain.until("NOTICE")
    # Without server-time, the history carries its own time in front of the text.
    texts = [l.params[1] for l in lines if l.command == "PRIVMSG"]
    assert [re.sub(r"^\[\d\d:\d\d\] ", "", t) for t in texts] == ["before you came", "mine"]
    assert all(re.match(r"\[\d\d:\d\d\] ", t) for t in texts)
    assert all(not l.tags for l in lines)


def test_a_long_message_is_split_at_character_boundaries_within_512_bytes(ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    text = "é€😀a " * 390                     # 1950 characters, about 4 KB
    json_user.send({"type": "msg", "text": text.strip()})
    pieces = []
    while sum(len(p) for p in pieces) < len(text.strip()) - len(pieces):
        pieces.append(alice.expect("PRIVMSG").params[1])   # IrcPeer checks the 512 bytes
    assert len(pieces) > 8
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_actions_travel_as_slash_me_and_other_ctcp_stays_out(ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    bob = ircs("bob")
    alice.say("PRIVMSG #classroom :\x01ACTION waves\x01",
              *["PRIVMSG #classroom :\x01VERSION\x01"] * 50, "PRIVMSG jay :\x01PING 1\x01")
    assert json_user.expect("msg")["text"] == "/me waves"
    assert bob.expect("PRIVMSG").params[1] == "\x01ACTION waves\x01"
    assert json_user.nothing_within(0.3)
    assert bob.silent()


# ---- the channel -----------------------------------------------------------------

def test_other_channels_are_refused_and_joining_again_is_harmless(ircs):
    alice = ircs("alice")
    alice.say("JOIN #maths")
    refusal = alice.expect("403")
    assert refusal.params[1] == "#maths" and "#classroom" in refusal.params[2]
    alice.say("JOIN #CLASSROOM")
    assert alice.silent()


def test_part_leaves_the_class_and_join_comes_back(ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    json_user.expect("joined")
    alice.say("PART #classroom :brb")
    part = alice.expect("PART")
    assert part.prefix.startswith("alice!") and part.params == ("#classroom", "brb")
    left = json_user.expect("left")
    assert (left["nick"], left["reason"]) == ("alice", "quit")
    alice.say("PRIVMSG #classroom :am I here?")
    assert alice.expect("404").params[1] == "#classroom"
    json_user.send({"type": "msg", "text": "she is gone"})
    assert alice.silent()
    alice.say("NICK alicia", "JOIN #classroom")
    assert alice.expect("NICK").params == ("alicia",)
    assert alice.expect("JOIN").prefix.startswith("alicia!")
    assert json_user.expect("joined")["nick"] == "alicia"


def test_nick_changes_during_the_lesson_are_refused(ircs):
    alice = ircs("alice")
    alice.say("NICK bob")
    refusal = alice.expect("447")
    assert refusal.params[1] == "bob" and "/part" in refusal.params[2]


def test_questions_a_client_asks(ircs, login):
    login("jay")
    teacher = ircs("teach", PASSWORD)
    alice = ircs("alice")
    alice.say("MODE alice +i", "MODE alice", "MODE #classroom", "MODE #classroom b",
              "WHO #classroom", "WHOIS teach", "ISON jay zoe TEACH", "USERHOST jay teach",
              "AWAY :lunch", "LIST", "NAMES #classroom", "FOO bar")
    assert alice.expect("MODE").params == ("alice", "+i")
    assert alice.expect("221").params[1] == "+i"
    assert alice.expect("324").params[1:] == ("#classroom", "+nt")
    assert alice.expect("368").params[1] == "#classroom"
    who = alice.until("315")
    assert {l.params[5]: l.params[6] for l in who if l.command == "352"} == {
        "jay": "H+", "teach": "H*@", "alice": "H+"}
    whois = alice.until("318")
    assert set(commands(whois)) >= {"311", "319", "312", "313"}
    assert alice.expect("303").params[1] == "jay teach"
    assert alice.expect("302").params[1] == "jay=+jay@classroom teach*=+teach@classroom"
    assert alice.expect("306")
    assert alice.expect("322").params[1:3] == ("#classroom", "3")
    assert alice.expect("353").params[3].split() == ["+alice", "+jay", "@teach"]
    assert alice.expect("421").params[1] == "FOO"
    teacher.say("WHOIS alice", "PRIVMSG alice :are you there?")
    assert teacher.expect("301").params[1:] == ("alice", "lunch")
    assert teacher.expect("301").params[1:] == ("alice", "lunch")


def test_ping_pong_and_quit(ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    alice.say("PING :lag-123")
    pong = alice.expect("PONG")
    assert pong.params[-1] == "lag-123"
    alice.say("QUIT :home time")
    assert "Quit: home time" in alice.expect("ERROR").params[0]
    assert alice.closed_by_server()
    assert json_user.expect("left")["nick"] == "alice"


# ---- the teacher -----------------------------------------------------------------

def test_pass_makes_an_admin_who_kicks_and_the_class_sees_it(server, ircs, login):
    json_user = login("jay")
    student = ircs("pupil", source="127.0.0.3")
    teacher = ircs("teach", PASSWORD)
    assert "@teach" in teacher.seen[-2].params[3].split()
    assert json_user.expect("joined")["nick"] == "pupil"
    assert json_user.expect("joined")["admin"] is True
    assert student.expect("MODE").params == ("#classroom", "+o", "teach")
    student.say("KICK #classroom jay :no")
    assert student.expect("482").params[1] == "#classroom"
    teacher.say("KICK #classroom pupil :be nice")
    kick = student.expect("KICK")
    assert kick.prefix.startswith("teach!") and kick.params == ("#classroom", "pupil",
                                                                "be nice")
    assert "Kicked by teach" in student.expect("ERROR").params[0]
    assert student.closed_by_server()
    left = json_user.expect("left")
    assert (left["nick"], left["reason"], left["message"]) == ("pupil", "kicked", "be nice")
    assert teacher.expect("KICK").params[1] == "pupil"
    again = IrcPeer(server.port, "127.0.0.3")
    again.say("NICK other", "USER o 0 * :O")
    assert again.expect("465")                     # the ban of the room
    again.close()


def test_a_wrong_pass_is_464_and_closed(ircs):
    peer = ircs()
    peer.say("PASS wrong", "NICK teach", "USER t 0 * :T")
    assert peer.expect("464").params[0] == "*"
    assert peer.expect("ERROR")
    assert peer.closed_by_server()


def test_oper_makes_an_admin(ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    alice.say("OPER alice wrong")
    assert alice.expect("464")
    alice.say("OPER alice " + PASSWORD)
    assert alice.expect("381")
    assert alice.expect("MODE").params == ("#classroom", "+o", "alice")
    frames = [json_user.expect("joined") for _ in range(3)]
    assert [f["admin"] for f in frames] == [False, False, True]


def test_topic_mute_and_slow_as_modes(ircs, login):
    json_user = login("jay")
    teacher = ircs("teach", PASSWORD)
    alice = ircs("alice")
    alice.say("TOPIC #classroom :mine")
    assert alice.expect("482")
    teacher.say("TOPIC #classroom :Fractions today")
    assert alice.expect("TOPIC").params == ("#classroom", "Fractions today")
    assert "Fractions today" in json_user.expect("msg")["text"]
    alice.say("TOPIC #classroom")
    assert alice.expect("332").params[1:] == ("#classroom", "Fractions today")
    teacher.say("MODE #classroom +m")
    assert alice.expect("MODE").params == ("#classroom", "+m")
    assert json_user.expect("room")["muted_all"] is True
    alice.say("PRIVMSG #classroom :can I?")
    assert alice.expect("404").params[1] == "#classroom"
    teacher.say("MODE #classroom -m-v alice")
    assert alice.expect("MODE").params == ("#classroom", "-m")
    assert alice.expect("MODE").params == ("#classroom", "-v", "alice")
    assert json_user.expect("room")["muted"] == []
    assert json_user.expect("room")["muted"] == ["alice"]
    teacher.say("SLOW 30")
    assert json_user.expect("room")["slow"] == 30


def test_die_shuts_the_server_down_for_everyone(server, ircs, login):
    json_user = login("jay")
    alice = ircs("alice")
    teacher = ircs("teach", PASSWORD)
    alice.say("DIE :nope")
    assert alice.expect("481")
    teacher.say("DIE :lesson over")
    assert "lesson over" in alice.expect("NOTICE").params[1]
    assert "lesson over" in alice.expect("ERROR").params[0]
    assert json_user.expect("shutdown")["reason"] == "lesson over"
    assert alice.closed_by_server()


# ---- limits and abuse ------------------------------------------------------------

def test_a_10_kB_line_is_417_and_the_connection_stays(ircs):
    alice = ircs("alice")
    alice.send_raw(b"PRIVMSG #classroom :" + b"x" * 10_000 + b"\r\n")
    assert alice.expect("417")
    assert alice.silent()


def test_registration_that_never_ends_times_out():
    with run_server(login_timeout=0.5) as server:
        peer = IrcPeer(server.port)
        peer.say("CAP LS 302", "NICK slow", "USER slow 0 * :S")   # and never CAP END
        assert "Registration timed out" in peer.expect("ERROR", 5).params[0]
        assert peer.closed_by_server()
        peer.close()


def test_an_idle_client_is_pinged_and_one_that_never_answers_goes():
    with run_server(heartbeat=0.5, heartbeat_misses=2) as server:
        json_user = Peer(server.port)
        json_user.login("jay")
        alice = IrcPeer(server.port)
        alice.register("alice")
        ping = alice.expect("PING", 3)
        alice.say(f"PONG :{ping.params[0]}")
        assert alice.expect("PING", 3)             # still here, pinged again when idle
        assert "Ping timeout" in alice.expect("ERROR", 5).params[0]
        assert json_user.expect("left")["nick"] == "alice"
        alice.close()
        json_user.close()


def test_the_channel_is_named_by_the_teacher():
    with run_server(irc_channel="#maths-7b") as server:
        peer = IrcPeer(server.port)
        assert peer.register("alice")[-1].params[1] == "#maths-7b"
        peer.say("JOIN #classroom")
        assert "#maths-7b" in peer.expect("403").params[2]
        peer.close()


@pytest.mark.parametrize("name, problem", [("#maths-7b", False), ("#классы", False),
                                           ("maths", True), ("#a b", True), ("#a,b", True),
                                           ("#" + "x" * 50, True)])
def test_the_irc_channel_option(name, problem):
    from run_server import option_problem, parse_args
    args = parse_args(["--irc-channel", name, "--host", "127.0.0.1"])
    assert bool(option_problem(args)) is problem


# ---- the `irc` package as a scripted client --------------------------------------

def test_the_irc_package_as_a_bot(server, login):
    irc_client = pytest.importorskip("irc.client")
    json_user = login("jay")
    reactor = irc_client.Reactor()
    got: list = []
    joined = threading.Event()
    connection = reactor.server().connect("127.0.0.1", server.port, "robot")
    connection.add_global_handler("join", lambda c, e: joined.set())
    connection.add_global_handler("pubmsg", lambda c, e: got.append(("pub", e.source.nick,
                                                                      e.arguments[0])))
    connection.add_global_handler("privmsg", lambda c, e: got.append(("priv", e.source.nick,
                                                                       e.arguments[0])))
    deadline = time.monotonic() + 5
    while not joined.is_set() and time.monotonic() < deadline:
        reactor.process_once(0.05)
    assert joined.is_set()
    connection.privmsg("#classroom", "beep")
    connection.privmsg("jay", "boop")
    assert json_user.expect("msg")["text"] == "beep"
    assert json_user.expect("msg")["to"] == "jay"
    json_user.send({"type": "msg", "text": "hello robot"})
    json_user.send({"type": "msg", "text": "private", "to": "robot"})
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        reactor.process_once(0.05)
    assert got == [("pub", "jay", "hello robot"), ("priv", "jay", "private")]
    connection.quit("bye")
    connection.close()
