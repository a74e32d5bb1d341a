import socket
import struct

from tests.support import Collector, Peer, run_server


def test_logout_says_bye_closes_and_tells_the_others(login):
    alice, bob = login("alice"), login("bob")
    alice.recv()
    bob.send({"type": "logout"})
    assert bob.recv() == {"type": "bye", "reason": "logout"}
    assert bob.closed_by_server()
    left = alice.recv()
    assert (left["type"], left["nick"], left["reason"]) == ("left", "bob", "quit")
    assert "message" not in left
    alice.send({"type": "users"})
    assert alice.recv()["users"] == ["alice"]


def test_a_nick_is_free_again_after_its_user_left(login, connect):
    bob = login("bob")
    bob.send({"type": "logout"})
    bob.recv()
    assert connect().login("BOB")["nick"] == "BOB"


def test_closing_without_logout_is_left_disconnected(login):
    alice, bob = login("alice"), login("bob")
    alice.recv()
    bob.close()
    left = alice.recv()
    assert (left["nick"], left["reason"]) == ("bob", "disconnected")


def test_a_reset_connection_is_left_disconnected(login):
    alice, bob = login("alice"), login("bob")
    alice.recv()
    bob.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    bob.close()                                        # RST instead of FIN
    assert alice.recv()["reason"] == "disconnected"


def test_a_last_line_without_newline_is_still_handled(server, login, connect):
    alice = login("alice")
    peer = connect()
    peer.send_raw(b'{"type":"login","nick":"bob"}\n{"type":"msg","text":"bye now"}')
    peer.sock.shutdown(socket.SHUT_WR)
    assert alice.recv()["type"] == "joined"
    message = alice.recv()
    assert (message["from"], message["text"]) == ("bob", "bye now")
    assert alice.recv()["reason"] == "disconnected"
    assert peer.recv()["type"] == "welcome"            # a half-closed peer gets its answers
    assert peer.recv()["text"] == "bye now"
    assert peer.closed_by_server()


def test_admin_kicks_with_a_reason(server, login):
    teacher = login("teacher", server.admin_password)
    bob, carol = login("bob"), login("carol")
    teacher.recv(), teacher.recv(), bob.recv()
    teacher.send({"type": "kick", "nick": "BOB", "reason": "stop spamming"})
    assert bob.recv() == {"type": "bye", "reason": "kicked", "message": "stop spamming",
                          "minutes": 10, "by": "teacher"}
    assert bob.closed_by_server()
    for peer in (teacher, carol):
        left = peer.recv()
        assert (left["type"], left["nick"], left["reason"], left["message"]) == \
            ("left", "bob", "kicked", "stop spamming")


def test_kick_without_reason_and_kick_of_nobody(server, login):
    teacher, bob = login("teacher", server.admin_password), login("bob")
    teacher.recv()
    teacher.send({"type": "kick", "nick": "ghost"})
    assert teacher.recv()["code"] == "no_such_user"
    teacher.send({"type": "kick", "nick": "bob"})
    assert bob.recv() == {"type": "bye", "reason": "kicked", "minutes": 10, "by": "teacher"}
    assert teacher.recv() | {"ts": 0, "seq": 0} == {"type": "left", "nick": "bob",
                                                    "reason": "kicked", "ts": 0, "seq": 0,
                                                    "by": "teacher"}


def test_non_admins_may_not_kick_or_shut_down(server, login):
    alice, bob = login("alice"), login("bob")
    alice.recv()
    alice.send({"type": "kick", "nick": "bob"})
    assert alice.recv()["code"] == "forbidden"
    alice.send({"type": "down", "reason": "ha"})
    assert alice.recv()["code"] == "forbidden"
    bob.send({"type": "msg", "text": "still here"})
    assert alice.recv()["text"] == "still here"
    assert server.thread.is_alive()


def test_a_client_that_never_reads_is_dropped_and_the_others_get_everything():
    with run_server(rate_limit=0, max_output=64 * 1024) as server:
        sleepy = socket.socket()
        sleepy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sleepy.connect(("127.0.0.1", server.port))
        sleepy.sendall(b'{"type":"login","nick":"sleepy"}\n')
        with Peer(server.port) as alice, Peer(server.port) as bob:
            alice.login("alice")
            bob.login("bob")
            alice.recv()
            readers = [Collector(alice), Collector(bob)]
            # The kernel's buffers take a few MB before the server's own queue fills.
            count, padding = 0, b"x" * 1000
            while not any(f["type"] == "left" for f in readers[1].frames):
                assert count < 20_000, "sleepy was never dropped"
                for number in range(count, count + 500):
                    alice.send_raw(b'{"type":"msg","text":"%d %s"}\n' % (number, padding))
                count += 500
                readers[1].wait_for(lambda frames: len(frames) > count - 1000, timeout=30)
            for reader in readers:
                frames = reader.wait_for(
                    lambda frames: any(f.get("text", "").startswith(f"{count - 1} ")
                                       for f in frames), timeout=30)
                numbers = [int(f["text"].split()[0]) for f in frames if f["type"] == "msg"]
                assert numbers == list(range(count))          # nothing lost, in order
                assert [(f["nick"], f["reason"]) for f in frames if f["type"] == "left"] \
                    == [("sleepy", "dropped")]
            bob.send({"type": "users"})
            users = readers[1].wait_for(lambda frames: frames[-1]["type"] == "users")[-1]
            assert users["users"] == ["alice", "bob"]
        sleepy.close()


def test_a_shutdown_ends_as_soon_as_everyone_has_the_notice():
    """Not after the whole grace: a teacher's Ctrl+C should feel immediate."""
    import time as clock
    from tests.support import Peer, run_server
    with run_server(shutdown_grace=5.0) as server:
        peers = [Peer(server.port) for _ in range(20)]
        for n, peer in enumerate(peers):
            peer.login(f"student{n}")
        started = clock.monotonic()
        server.server.request_shutdown("server", "")
        server.thread.join(10)
        took = clock.monotonic() - started
        assert not server.thread.is_alive() and took < 1.0, f"{took:.2f} s"
        for peer in peers:
            assert peer.expect("shutdown")["by"] == "server"
            peer.close()
