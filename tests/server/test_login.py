import time

import pytest


def error_code(peer) -> str:
    frame = peer.recv()
    assert frame["type"] == "error", frame
    assert frame["message"]
    return frame["code"]


def test_welcome_lists_everyone_sorted_case_insensitively(login, connect):
    login("bob")
    login("Alice")
    login("carol")
    peer = connect()
    welcome = peer.login("dave")
    assert welcome["nick"] == "dave"
    assert welcome["users"] == ["Alice", "bob", "carol", "dave"]
    assert welcome["admin"] is False
    assert welcome["history"] == []
    assert welcome["server"].startswith("classchat/")


def test_cyrillic_and_accented_nicks_keep_their_spelling(login):
    assert login("Алиса").nick == "Алиса"
    assert login("José").nick == "José"
    # NFD input is stored in NFC.
    assert login("Rene\u0301").nick == "René"


@pytest.mark.parametrize("taken, clash", [("Alice", "alice"), ("alice", "ＡＬＩＣＥ"),
                                          ("Алиса", "АЛИСА"), ("straße", "STRASSE")])
def test_nicks_clash_case_insensitively(login, connect, taken, clash):
    login(taken)
    peer = connect()
    peer.send({"type": "login", "nick": clash})
    assert error_code(peer) == "nick_taken"
    assert peer.login("someone_else")["nick"] == "someone_else"  # still usable


@pytest.mark.parametrize("nick", ["", "a" * 25, "two words", "\u200bghost", "ev\u202eil",
                                  "\u3164", "bell\x07", "Server", "EVERYONE", "all"])
def test_invalid_and_reserved_nicks_are_refused(connect, nick):
    peer = connect()
    peer.send({"type": "login", "nick": nick})
    assert error_code(peer) == "nick_invalid"


def test_joined_goes_to_everyone_else(login, connect):
    alice = login("alice")
    bob = connect()
    bob.login("bob")
    joined = alice.recv()
    assert joined["type"] == "joined" and joined["nick"] == "bob"
    assert abs(joined["ts"] - time.time() * 1000) < 5000
    bob.send({"type": "ping", "id": 1})
    assert bob.recv() == {"type": "pong", "id": 1}  # bob saw no `joined` of himself


def test_admin_login(server, login, connect):
    admin = login("teacher", server.admin_password)
    admin.send({"type": "whoami"})
    assert admin.recv() == {"type": "whoami", "nick": "teacher", "admin": True}
    peer = connect()
    welcome = peer.login("pupil", "")
    assert welcome["admin"] is False                   # empty password means none
    assert welcome["admins"] == ["teacher"]            # so clients can mark admins
    joined = admin.recv()
    assert (joined["nick"], joined["admin"]) == ("pupil", False)
    peer.send({"type": "users"})
    assert peer.recv() == {"type": "users", "users": ["pupil", "teacher"],
                           "admins": ["teacher"]}


def test_wrong_password_stays_logged_out(connect):
    peer = connect()
    peer.send({"type": "login", "nick": "mallory", "password": "guess"})
    assert error_code(peer) == "bad_password"
    peer.send({"type": "users"})
    assert error_code(peer) == "not_logged_in"
    assert peer.login("mallory")["admin"] is False


def test_checks_run_in_the_contract_order(server, login, connect):
    login("alice", server.admin_password)    # an admin: not even the password takes it
    peer = connect()
    peer.send({"type": "login", "nick": "bad nick", "password": "wrong"})
    assert error_code(peer) == "nick_invalid"          # before bad_password
    peer.send({"type": "login", "nick": "alice", "password": "wrong"})
    assert error_code(peer) == "bad_password"          # before nick_taken
    peer.send({"type": "login", "nick": "alice", "password": server.admin_password})
    assert error_code(peer) == "nick_taken"
    peer.login("bob")
    peer.send({"type": "login", "nick": "bad nick"})
    assert error_code(peer) == "already_logged_in"     # before nick_invalid


@pytest.mark.parametrize("frame", [
    {"type": "msg", "text": "hi"}, {"type": "users"}, {"type": "whoami"},
    {"type": "logout"}, {"type": "down"}, {"type": "kick", "nick": "x"},
])
def test_commands_need_a_login_first(connect, frame):
    peer = connect()
    peer.send(frame)
    assert error_code(peer) == "not_logged_in"


def test_ping_works_before_login_and_echoes_the_id(connect):
    peer = connect()
    peer.send({"type": "ping", "id": 41})
    assert peer.recv() == {"type": "pong", "id": 41}
    peer.send({"type": "ping"})
    assert peer.recv() == {"type": "pong"}
    peer.send({"type": "ping", "id": "abc"})
    assert peer.recv() == {"type": "pong", "id": "abc"}


def test_no_login_in_time_gets_bye_timeout():
    from tests.support import Peer, run_server
    with run_server(login_timeout=0.3) as server, Peer(server.port) as peer:
        started = time.monotonic()
        # It never said a word: most likely a person at a terminal, told in plain text.
        assert peer.text(timeout=3) == ("* You did not type a nickname in time; "
                                        "connect again to join")
        assert peer.closed_by_server()
        assert 0.25 < time.monotonic() - started < 2.5


def test_a_login_in_time_is_not_timed_out():
    from tests.support import Peer, run_server
    with run_server(login_timeout=0.3) as server, Peer(server.port) as peer:
        peer.login("quick")
        assert peer.nothing_within(1.0)
        peer.send({"type": "whoami"})
        assert peer.recv()["nick"] == "quick"


def test_server_full_refuses_with_an_error_then_closes():
    from tests.support import Peer, run_server
    with run_server(max_clients=2, admin_seats=0) as server:
        with Peer(server.port) as first, Peer(server.port) as second:
            first.login("first")
            with Peer(server.port) as third:
                assert third.recv()["code"] == "server_full"
                assert third.closed_by_server()
            second.login("second")   # the two admitted ones are unharmed


def test_a_full_server_keeps_seats_for_the_teacher():
    from tests.support import Peer, run_server
    with run_server(max_clients=2, admin_seats=1) as server:
        with Peer(server.port) as first, Peer(server.port) as second:
            first.login("first")
            second.login("second")
            with Peer(server.port) as student:           # on the teacher's seat
                student.send({"type": "login", "nick": "third"})
                refusal = student.recv()
                assert refusal["code"] == "server_full" and "teacher" in refusal["message"]
                assert student.closed_by_server()
            with Peer(server.port) as teacher, Peer(server.port) as one_too_many:
                assert one_too_many.recv()["code"] == "server_full"
                assert teacher.login("Teacher", server.admin_password)["admin"] is True
