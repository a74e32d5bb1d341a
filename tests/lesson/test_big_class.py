"""A class of 750 on one server process: every welcome comes and is read, and the
answers that list everyone are far over 8 KiB."""

import json
import selectors
import socket
import time

from tests.lesson.harness import source

CLASS = 750
BOUND = 15.0          # seconds for the whole scene; it takes about two on 2 cores


def nick(i: int) -> str:
    return f"student{i:03d}"        # 750 of them: a users list of about 9.7 KB


def read_first_json_lines(socks: dict, timeout: float) -> dict:
    """{sock: the first JSON line it received}, reading all of them at once; lines
    that do not start with `{` (the prompt for people) are skipped."""
    selector = selectors.DefaultSelector()
    partial = {}
    first = {}
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
        partial[sock] = b""
    deadline = time.monotonic() + timeout
    while len(first) < len(socks):
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(first)} of {len(socks)} welcomes within "
                                 f"{timeout} s")
        for key, _ in selector.select(0.5):
            sock = key.fileobj
            chunk = sock.recv(1 << 20)
            assert chunk, f"{socks[sock]}: the server closed the connection"
            partial[sock] += chunk
            while b"\n" in partial[sock] and sock not in first:
                line, partial[sock] = partial[sock].split(b"\n", 1)
                if line.startswith(b"{"):
                    first[sock] = line
                    selector.unregister(sock)
    selector.close()
    return first


def read_until(sock: socket.socket, kind: str, timeout: float = 5.0) -> bytes:
    """The raw line of the first frame of `kind`, passing over the joins before it."""
    sock.setblocking(True)
    sock.settimeout(timeout)
    buffer = b""
    while True:
        chunk = sock.recv(1 << 20)
        assert chunk, "closed"
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"{") and json.loads(line)["type"] == kind:
                return line


def test_a_class_of_750_logs_in_and_is_listed_within_15_s(servers, people):
    started = time.monotonic()
    server = servers("--rate-limit", "0", data_dir=None)
    socks = {}
    try:
        for i in range(CLASS):
            # 250 addresses of the class room, three students each.
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5,
                                            source_address=(source(2 + i % 250), 0))
            sock.sendall(json.dumps({"type": "login", "nick": nick(i)}).encode() + b"\n")
            sock.setblocking(False)
            socks[sock] = nick(i)
        first = read_first_json_lines(socks, BOUND)
        sizes = []
        for sock, line in first.items():
            welcome = json.loads(line)
            assert welcome["type"] == "welcome" and welcome["nick"] == socks[sock], welcome
            assert socks[sock] in welcome["users"]
            sizes.append(len(welcome["users"]))
        # Logins are handled one at a time: the n-th welcome lists n people.
        assert sorted(sizes) == list(range(1, CLASS + 1))
        asking = next(iter(socks))
        asking.setblocking(True)
        asking.sendall(b'{"type":"users"}\n')
        raw = read_until(asking, "users")
        answer = json.loads(raw)
        assert len(raw) > 8192 and len(answer["users"]) == CLASS, len(raw)
        assert answer["users"] == sorted(answer["users"], key=str.casefold)
        late = people.student(server.port, "Latecomer", source(251))
        welcome = late.login()
        assert welcome["type"] == "welcome" and len(welcome["users"]) == CLASS + 1
        assert len(late.welcome_raw) > 8192
        nc = people.text(server.port, source(252))
        nc.login("nc_late")
        online = nc.wait(lambda line: line.startswith("* Online ("), what="the Online line")
        assert online.startswith(f"* Online ({CLASS + 2}): ") and len(online) > 8192
    finally:
        for sock in socks:
            sock.close()
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"the class of {CLASS} took {elapsed:.1f} s"
