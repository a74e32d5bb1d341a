"""Resume, heartbeat and the prompt over real sockets (the room's rules: test_room.py)."""

import socket
import time

from tests.support import Peer, run_server


def test_a_silent_resumable_client_is_taken_for_gone_and_can_resume():
    with run_server(heartbeat=0.3, resume_grace=5) as server:
        alice, bob = Peer(server.port), Peer(server.port)
        alice.send({"type": "login", "nick": "alice", "resumable": True})
        welcome = alice.recv()
        bob.login("bob")
        alice.expect("joined")
        # alice's link dies silently: she says nothing, not even her pings.
        deadline = time.monotonic() + 3
        while server.server.connections and time.monotonic() < deadline:
            if len(server.server.connections) == 1:
                break
            time.sleep(0.05)
        assert len(server.server.connections) == 1, "the silent link was never let go"
        assert "alice" in server.room.users              # her nick is kept for the grace
        bob.send({"type": "msg", "text": "are you there?"})
        bob.expect("msg")
        with Peer(server.port) as back:
            back.send({"type": "login", "nick": "alice", "session": welcome["session"],
                       "seq": welcome["seq"]})
            resumed = back.recv()
            assert resumed["resumed"] is True
            assert back.recv()["nick"] == "bob"            # bob joined after her welcome
            assert back.recv()["text"] == "are you there?"
            assert bob.nothing_within(0.3)                # bob saw no leave or join


def test_a_client_that_pings_is_kept():
    with run_server(heartbeat=0.3) as server, Peer(server.port) as alice:
        alice.send({"type": "login", "nick": "alice", "resumable": True})
        alice.recv()
        for _ in range(8):                                # 1.6 s: over 3 heartbeats
            alice.send({"type": "ping"})
            assert alice.recv() == {"type": "pong"}
            time.sleep(0.2)
        assert "alice" in server.room.users


def test_a_silent_newcomer_is_told_what_to_type():
    with run_server(prompt_after=0.2) as server, Peer(server.port) as person:
        line = person.text(timeout=2)
        assert "Type your nickname and press Enter" in line
        person.send_raw(b"carol\n")
        assert person.text() == "* Welcome, carol!"


def test_a_program_that_speaks_at_once_never_sees_the_prompt():
    with run_server(prompt_after=0.2) as server, Peer(server.port) as program:
        program.send_raw(b'{"type":"login","nick":"bot"')   # half a line counts as speaking
        time.sleep(0.6)
        program.send_raw(b"}\n")
        assert program.recv()["type"] == "welcome"


def test_every_connection_has_tcp_keepalive():
    with run_server() as server, Peer(server.port) as peer:
        peer.login("alice")
        conn = next(iter(server.server.connections))
        assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 20


def test_a_welcome_far_over_the_output_limit_is_still_delivered():
    """The server never drops a client for the size of its own answer."""
    with run_server(max_output=4096, history=50, rate_limit=0, shutdown_grace=0.5) as server:
        writer = Peer(server.port)
        writer.login("writer")
        for n in range(50):
            writer.send({"type": "msg", "text": f"{n:02d} " + "é" * 1990})
            writer.expect("msg")
        late = socket.create_connection(("127.0.0.1", server.port))
        late.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # a slow reader
        peer = Peer.over(late)
        peer.send({"type": "login", "nick": "late"})
        time.sleep(0.5)                                   # the server cannot send it all
        welcome = peer.recv(timeout=10)
        assert welcome["type"] == "welcome" and len(welcome["history"]) == 50
        assert "late" in server.room.users
