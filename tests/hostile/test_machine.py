"""Faults of the machine: running out of file descriptors, and the open-files limit."""

import socket
import time

from tests.hostile.conftest import (
    Pair, cpu_seconds, open_fds, start_limited_server, stop_server, wait_for,
)

NOFILE = 48          # soft and hard: run_server.py cannot raise it


def ping_all(socks: list, ids) -> None:
    for sock, i in zip(socks, ids):
        sock.sendall(b'{"type":"ping","id":%d}\n' % i)


def answered(sock: socket.socket, wait: float) -> bool:
    sock.settimeout(wait)
    try:
        return sock.recv(4096).startswith(b'{"type":"pong"')
    except socket.timeout:
        return False


def test_out_of_file_descriptors_does_not_spin_and_recovers():
    process, port = start_limited_server(nofile=(NOFILE, NOFILE))
    crowd = []
    try:
        pair = Pair(port)
        for i in range(60):          # more than the descriptors left
            crowd.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        ping_all(crowd, range(60))
        wait_for(lambda: open_fds(process.pid) >= NOFILE - 1, what="running out of fds")
        time.sleep(0.3)              # the first accept to fail has happened by now
        # Out of descriptors: the loop waits instead of retrying accept() at once.
        before, started = cpu_seconds(process.pid), time.monotonic()
        time.sleep(2.0)
        busy = (cpu_seconds(process.pid) - before) / (time.monotonic() - started)
        assert busy < 0.15, f"the server used {busy:.0%} of a CPU while out of descriptors"
        pair.assert_chatting()       # the logged-in keep chatting meanwhile
        accepted = [sock for sock in crowd if answered(sock, 0.05)]
        waiting = [sock for sock in crowd if sock not in accepted]
        assert accepted and waiting, (len(accepted), len(waiting))
        for sock in accepted:
            sock.close()
        # Descriptors are free again: those still waiting are accepted and answered.
        for sock in waiting:
            assert answered(sock, 5.0), "a waiting connection was never accepted"
        pair.assert_chatting()
        # Out of descriptors once more, a SIGTERM still brings it down cleanly.
        more = [socket.create_connection(("127.0.0.1", port), timeout=5)
                for _ in range(len(accepted) + 5)]
        crowd.extend(more)
        wait_for(lambda: open_fds(process.pid) >= NOFILE - 1, what="running out again")
        time.sleep(0.3)
        process.terminate()
        for peer in (pair.alice, pair.bob):
            assert peer.expect("shutdown") == {"type": "shutdown", "by": "server",
                                               "reason": ""}
        log = stop_server(process, signalled=True)
        assert "cannot accept connections" in log
        pair.close()
    finally:
        for sock in crowd:
            sock.close()
        if process.poll() is None:
            process.kill()


def limits_of(pid: int) -> str:
    with open(f"/proc/{pid}/limits") as limits:
        return next(line for line in limits if line.startswith("Max open files"))


def test_server_raises_its_open_files_limit_at_start():
    process, port = start_limited_server(nofile=(256, 4096))
    try:
        assert limits_of(process.pid).split()[3:5] == ["4096", "4096"]
    finally:
        stop_server(process)
