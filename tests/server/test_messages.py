import time

from tests.support import Peer, run_server


def drain_joins(*peers):
    """Skip the `joined` notices the earliest peers got while the others logged in."""
    for index, peer in enumerate(peers):
        for _ in peers[index + 1:]:
            assert peer.recv()["type"] == "joined"


def test_public_message_reaches_everyone_including_the_sender(login):
    alice, bob, carol = login("alice"), login("bob"), login("carol")
    drain_joins(alice, bob, carol)
    alice.send({"type": "msg", "text": "  hello class  "})
    for peer in (alice, bob, carol):
        message = peer.recv()
        assert message["type"] == "msg"
        assert (message["from"], message["to"], message["text"]) == ("alice", None, "hello class")
        assert abs(message["ts"] - time.time() * 1000) < 5000


def test_ids_grow_by_one_with_every_accepted_message(login):
    alice, bob = login("alice"), login("bob")
    drain_joins(alice, bob)
    alice.send({"type": "msg", "text": "one"})
    first = bob.recv()["id"]
    alice.send({"type": "msg", "text": ""})            # refused: takes no id
    bob.send({"type": "msg", "text": "two", "to": "alice"})
    alice.send({"type": "msg", "text": "three"})
    assert alice.recv()["id"] == first
    assert alice.recv()["code"] == "empty_message"
    assert alice.recv()["id"] == first + 1
    assert alice.recv()["id"] == first + 2


def test_private_message_goes_to_the_recipient_and_echoes_to_the_sender(login):
    alice, bob, carol = login("alice"), login("Bob"), login("carol")
    drain_joins(alice, bob, carol)
    alice.send({"type": "msg", "text": "psst", "to": "BOB"})
    for peer in (bob, alice):
        message = peer.recv()
        assert (message["from"], message["to"], message["text"]) == ("alice", "Bob", "psst")
    assert carol.nothing_within(0.3)


def test_private_message_to_yourself_is_delivered_once(login):
    alice = login("alice")
    alice.send({"type": "msg", "text": "note to self", "to": "alice"})
    assert alice.recv()["to"] == "alice"
    assert alice.nothing_within(0.3)


def test_private_message_to_nobody(login):
    alice = login("alice")
    alice.send({"type": "msg", "text": "hello?", "to": "ghost"})
    error = alice.recv()
    assert (error["type"], error["code"]) == ("error", "no_such_user")


def test_control_characters_are_removed_from_messages(login):
    alice = login("alice")
    alice.send({"type": "msg", "text": "a\u0000b\u001bc\td\ne\u0085"})
    assert alice.recv()["text"] == "abc\td\ne"


def test_empty_and_too_long_messages_are_refused(login):
    alice, bob = login("alice"), login("bob")
    drain_joins(alice, bob)
    for text, code in [("", "empty_message"), (" \n\t\u0001 ", "empty_message"),
                       ("x" * 2001, "message_too_long")]:
        alice.send({"type": "msg", "text": text})
        assert alice.recv()["code"] == code
    alice.send({"type": "msg", "text": "é" * 2000})     # 2000 code points is allowed
    assert alice.recv()["text"] == "é" * 2000
    assert bob.recv()["text"] == "é" * 2000             # and bob got nothing refused


def test_late_joiners_get_the_public_history_only():
    with run_server(history=3) as server, Peer(server.port) as alice, Peer(server.port) as bob:
        alice.login("alice")
        bob.login("bob")
        alice.recv()
        sent = []
        for number in range(5):
            alice.send({"type": "msg", "text": f"public {number}"})
            sent.append(alice.recv())
            alice.send({"type": "msg", "text": f"private {number}", "to": "bob"})
            alice.recv()
        with Peer(server.port) as late:
            history = late.login("late")["history"]
    assert history == sent[-3:]                        # oldest first, exactly as sent
    assert all(item["to"] is None for item in history)


def test_a_senders_messages_arrive_in_order(login):
    alice, bob = login("alice"), login("bob")
    drain_joins(alice, bob)
    for number in range(30):                            # within the default burst of 40
        alice.send({"type": "msg", "text": str(number)})
    assert [bob.recv()["text"] for _ in range(30)] == [str(n) for n in range(30)]


def test_everyone_sees_one_global_order(login):
    peers = [login(f"p{index}") for index in range(4)]
    drain_joins(*peers)
    for round_ in range(5):
        for peer in peers:
            peer.send_raw(b'{"type":"msg","text":"%s %d"}\n' % (peer.nick.encode(), round_))
    orders = [[peer.recv()["id"] for _ in range(20)] for peer in peers]
    assert all(order == orders[0] for order in orders)
    assert orders[0] == sorted(orders[0])


def test_rate_limit_refuses_the_excess_and_delivers_the_rest():
    with run_server(rate_limit=1, rate_burst=5) as server, \
            Peer(server.port) as alice, Peer(server.port) as bob:
        alice.login("alice")
        bob.login("bob")
        alice.recv()
        alice.send_raw(b"".join(b'{"type":"msg","text":"%d"}\n' % n for n in range(8)))
        frames = [alice.recv() for _ in range(8)]
        assert [f["text"] for f in frames if f["type"] == "msg"] == ["0", "1", "2", "3", "4"]
        assert [f["code"] for f in frames if f["type"] == "error"] == ["rate_limited"] * 3
        assert [bob.recv()["text"] for _ in range(5)] == ["0", "1", "2", "3", "4"]
        assert bob.nothing_within(0.2)
        alice.send({"type": "users"})                   # other frames are not limited
        assert alice.recv()["type"] == "users"
        time.sleep(1.1)                                 # one token refills in a second
        alice.send({"type": "msg", "text": "later"})
        assert alice.recv()["text"] == "later"


def test_rate_limit_zero_turns_it_off():
    with run_server(rate_limit=0) as server, Peer(server.port) as alice:
        alice.login("alice")
        alice.send_raw(b'{"type":"msg","text":"x"}\n' * 200)
        assert all(alice.recv()["type"] == "msg" for _ in range(200))


def test_users_and_whoami(login):
    alice = login("alice")
    login("Bob")
    alice.recv()
    alice.send({"type": "users"})
    assert alice.recv() == {"type": "users", "users": ["alice", "Bob"], "admins": []}
    alice.send({"type": "whoami"})
    assert alice.recv() == {"type": "whoami", "nick": "alice", "admin": False}
