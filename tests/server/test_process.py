"""run_server.py as a user starts it: banner, logs, `down server` and signals."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.support import ROOT, Peer, start_server_process


def port_is_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def connect_everyone(port: int, password: str):
    teacher, alice, stranger = Peer(port), Peer(port), Peer(port)
    teacher.login("teacher", password)
    alice.login("alice")
    text_user = Peer(port)
    text_user.send_raw(b"bob\n")
    assert text_user.text() == "* Welcome, bob!"
    stranger.send({"type": "ping"})                  # connected, never logged in
    assert stranger.recv() == {"type": "pong"}
    return teacher, alice, text_user, stranger


def test_down_server_tells_everyone_and_exits_cleanly():
    process, port = start_server_process("--admin-password", "pw")
    teacher, alice, text_user, stranger = connect_everyone(port, "pw")
    teacher.send({"type": "down", "reason": "lesson over"})
    notice = {"type": "shutdown", "by": "teacher", "reason": "lesson over"}
    assert teacher.expect("shutdown") == notice
    assert alice.expect("shutdown") == notice
    assert stranger.recv() == notice
    # The welcome's other lines come first; each read fails after its timeout, and
    # at most 10 lines are read, so a missing notice fails instead of spinning.
    lines = []
    while not (lines and lines[-1].startswith("* The server is shutting down")):
        assert len(lines) < 10, f"no shutdown notice in {lines}"
        lines.append(text_user.text())
    assert lines[-1] == "* The server is shutting down (by teacher): lesson over"
    for peer in (teacher, alice, text_user, stranger):
        assert peer.closed_by_server()
    assert process.wait(timeout=10) == 0
    assert port_is_closed(port)
    output, errors = process.communicate()
    assert "shutting down (by teacher): lesson over" in errors


def test_down_server_without_reason_in_the_text_dialect():
    process, port = start_server_process("--admin-password", "pw")
    admin = Peer(port)
    admin.send_raw(b"-login root pw\n")
    admin.send_raw(b"down server\n")
    assert admin.closed_by_server(timeout=10)       # fails after 10 s, never spins
    lines = admin.unread.decode().splitlines()
    assert lines[-1] == "* The server is shutting down (by root)"
    assert process.wait(timeout=10) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_shut_down_like_down_server(signum):
    process, port = start_server_process("--admin-password", "pw")
    teacher, alice, text_user, stranger = connect_everyone(port, "pw")
    process.send_signal(signum)
    notice = {"type": "shutdown", "by": "server", "reason": ""}
    assert alice.expect("shutdown") == notice
    assert stranger.recv() == notice
    for peer in (teacher, alice, text_user, stranger):
        assert peer.closed_by_server()
    assert process.wait(timeout=10) == 0
    assert port_is_closed(port)


def test_banner_shows_where_to_connect_and_the_generated_password():
    env = {k: v for k, v in os.environ.items() if k != "CHAT_ADMIN_PASSWORD"}
    process, port = start_server_process(env=env)
    printed = [process.stdout.readline() for _ in range(3)]
    assert printed[0].startswith(f"Classroom chat server listening on 127.0.0.1:{port}")
    assert printed[1].startswith("Admin password (generated): ")
    password = printed[1].split()[-1]
    assert len(password) >= 8
    with Peer(port) as admin:
        assert admin.login("teacher", password)["admin"] is True
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_banner_lists_lan_addresses_when_listening_everywhere(capsys):
    # Printed, not listened: tests listen on 127.0.0.1 only.
    from run_server import print_banner
    from server.lan import lan_addresses
    from server.settings import Settings

    addresses = lan_addresses()
    assert all(not a.startswith("127.") and a.count(".") == 3 for a in addresses)
    print_banner(Settings(host="0.0.0.0", admin_password="pw"), 5050, generated=False)
    output = capsys.readouterr().out
    assert output.startswith("Classroom chat server listening on 0.0.0.0:5050")
    for address in addresses:
        assert f"    {address}  port 5050" in output
    if not addresses:
        assert "No LAN address found" in output
    assert "pw" not in output                          # it was given, so not printed


def test_password_from_the_environment_and_never_logged():
    env = dict(os.environ, CHAT_ADMIN_PASSWORD="from-env-123")
    process, port = start_server_process(env=env)
    with Peer(port) as admin, Peer(port) as intruder:
        assert admin.login("teacher", "from-env-123")["admin"] is True
        intruder.send({"type": "login", "nick": "eve", "password": "wrong-guess-456"})
        assert intruder.recv()["code"] == "bad_password"
        intruder.login("eve")
        admin.send({"type": "kick", "nick": "eve", "reason": "testing"})
        assert intruder.recv()["reason"] == "kicked"
    process.send_signal(signal.SIGTERM)
    output, log = process.communicate(timeout=10)
    assert "from-env-123" not in output + log
    assert "wrong-guess-456" not in output + log
    for expected in ("connected", "teacher logged in as admin", "wrong admin password",
                     "kicks", "eve left (kicked)", "shutting down"):
        assert expected in log, expected


def test_help_lists_every_option():
    result = subprocess.run([sys.executable, str(ROOT / "run_server.py"), "--help"],
                            cwd=ROOT, capture_output=True, text=True, timeout=10)
    assert result.returncode == 0
    for option in ("--host", "--port", "--admin-password", "--rate-limit", "--history",
                   "--max-clients", "--log-level", "--max-frame", "--login-timeout"):
        assert option in result.stdout


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(ROOT / "run_server.py"), "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
