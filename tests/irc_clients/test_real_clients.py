"""A lesson with stock IRC clients: irssi and WeeChat log in, are in #classroom, talk
with a JSON client and an nc user both ways, publicly and privately, and see a kick and
the shutdown."""

import socket

from tests.irc_clients.conftest import PASSWORD, wait_for
from tests.support import Peer


def nc_user(port: int, nick: str) -> Peer:
    # From another loopback address: the kick's ban must not keep the others out.
    peer = Peer.over(socket.create_connection(("127.0.0.1", port), timeout=5,
                                              source_address=("127.0.0.2", 0)))
    peer.send_raw(nick.encode() + b"\n")
    assert "Welcome" in peer.text()
    return peer


def expect_joined(peer: Peer, nick: str) -> dict:
    while True:
        frame = peer.expect("joined", 10)
        if frame["nick"] == nick:
            return frame


def expect_msg(peer: Peer, text: str) -> dict:
    while True:
        frame = peer.expect("msg", 10)
        if frame["text"] == text:
            return frame


def read_until(peer: Peer, text: str) -> str:
    seen = []
    while True:
        line = peer.text(10)
        seen.append(line)
        if text in line:
            return line


def test_a_lesson_with_irssi_weechat_json_and_nc(chat_server, irssi, weechat):
    port = chat_server
    jay = Peer(port)
    jay.login("jay")
    nina = nc_user(port, "nina")

    alice = irssi("alice")
    alice.saw("#classroom", "alice")                  # irssi opened the channel window
    alice.type("/window goto #classroom")
    expect_joined(jay, "alice")
    walter = weechat("walter")
    walter.saw("irc.test.#classroom", "walter")
    expect_joined(jay, "walter")

    # irssi and WeeChat talk to the class; the JSON and nc users read it.
    alice.type("hello from irssi ✓")
    message = expect_msg(jay, "hello from irssi ✓")
    assert (message["from"], message["to"], message["text"]) == ("alice", None,
                                                                  "hello from irssi ✓")
    assert "alice: hello from irssi ✓" in read_until(nina, "hello from irssi")
    walter.saw("irc.test.#classroom", "hello from irssi ✓")
    walter.command("irc.test.#classroom", "hello from weechat")
    assert expect_msg(jay, "hello from weechat")["from"] == "walter"
    alice.saw("#classroom", "hello from weechat")

    # The JSON and nc users answer; both IRC clients show it in the channel.
    jay.send({"type": "msg", "text": "hi IRC people"})
    nina.send_raw(b"and hi from nc\n")
    for text in ("hi IRC people", "and hi from nc"):
        alice.saw("#classroom", text)
        walter.saw("irc.test.#classroom", text)

    # Privately, both ways.
    alice.type("/msg jay psst from irssi")
    message = expect_msg(jay, "psst from irssi")
    assert (message["from"], message["to"], message["text"]) == ("alice", "jay",
                                                                  "psst from irssi")
    walter.command("irc.server.test", "/msg nina psst from weechat")
    assert "walter -> nina: psst from weechat" in read_until(nina, "psst from weechat")
    jay.send({"type": "msg", "text": "private to alice", "to": "alice"})
    alice.saw("jay", "private to alice")              # irssi's query window with jay
    nina.send_raw(b"-to walter private to walter\n")
    walter.saw("irc.test.nina", "private to walter")

    # The teacher, on irssi with the password, kicks the nc user: everyone sees it.
    teacher = irssi("teach", PASSWORD)
    teacher.saw("#classroom", "teach")
    teacher.type("/window goto #classroom")
    assert expect_joined(jay, "teach")["admin"] is True
    teacher.type("/kick nina talking during the test")
    assert nina.closed_by_server()
    alice.saw("#classroom", "talking during the test")
    walter.saw("irc.test.#classroom", "talking during the test")
    left = jay.expect("left")
    assert (left["nick"], left["reason"]) == ("nina", "kicked")

    # The end of the lesson.
    teacher.type("/quote DIE :lesson over")
    assert jay.expect("shutdown")["reason"] == "lesson over"
    wait_for(lambda: "lesson over" in alice.log("#classroom")
             or "lesson over" in alice.screen(), 10, "irssi to show the shutdown")
    walter.saw("irc.test.#classroom", "lesson over")
    jay.close()
