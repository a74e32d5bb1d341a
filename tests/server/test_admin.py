import time

from tests.support import Peer, run_server


def test_fifth_wrong_password_closes_and_locks_the_address_for_the_window():
    with run_server(admin_password="right", admin_window=1.0) as server:
        with Peer(server.port) as guesser:
            for attempt in range(4):
                guesser.send({"type": "login", "nick": "eve", "password": f"guess{attempt}"})
                assert guesser.recv()["code"] == "bad_password"
            guesser.send({"type": "login", "nick": "eve", "password": "guess4"})
            assert guesser.recv()["code"] == "bad_password"
            assert guesser.closed_by_server()
        with Peer(server.port) as again:               # even the right one is refused now
            again.send({"type": "login", "nick": "eve", "password": "right"})
            refusal = again.recv()
            assert refusal["code"] == "locked_out"   # a lock-out, not a wrong password
            assert "locked for 1 more second" in refusal["message"]
            assert refusal["until"] > time.time() * 1000
            assert again.closed_by_server()
        with Peer(server.port) as pupil:               # the same address may still chat
            assert pupil.login("pupil")["admin"] is False
        time.sleep(1.1)                                # the window is over
        with Peer(server.port) as teacher:
            assert teacher.login("teacher", "right")["admin"] is True


def test_wrong_passwords_spread_over_time_do_not_lock():
    with run_server(admin_password="right", admin_window=0.5) as server, \
            Peer(server.port) as peer:
        for attempt in range(3):
            peer.send({"type": "login", "nick": "x", "password": "no"})
            assert peer.recv()["code"] == "bad_password"
        time.sleep(0.6)
        for attempt in range(3):
            peer.send({"type": "login", "nick": "x", "password": "no"})
            assert peer.recv()["code"] == "bad_password"
        assert peer.login("x", "right")["admin"] is True
