"""The downloads at /download/: ordinary HTTP, the built bytes, and a slow link never
delays the chat of the others (the app goes out as each socket drains)."""

import http.client
import signal
import socket
import statistics
import threading
import time

import pytest

from server import app_bundle, loop
from server.dialects.web import WebAssets
from tests.support import Peer, run_server, start_server_process

DOWNLOADERS = 10
MESSAGES = 100
INTERVAL = 0.02          # seconds between alice's messages: 2 s of chat


def request(port: int, head: str) -> socket.socket:
    sock = socket.socket()
    # A small receive window: the kernel cannot take the app at once, the server holds
    # the rest and sends it as this socket drains (a student's weak Wi-Fi).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(head.encode("ascii"))
    return sock


def slow_download(port: int, results: list, stop: threading.Event) -> None:
    sock = request(port, "GET /download/classchat.pyz HTTP/1.1\r\nHost: teacher\r\n"
                         "Connection: close\r\n\r\n")
    started = time.monotonic()
    data = bytearray()
    with sock:
        while True:
            chunk = sock.recv(1024)
            if not chunk:
                break
            data += chunk
            time.sleep(0.02 if not stop.is_set() else 0)   # about 50 KiB/s
    results.append((bytes(data), time.monotonic() - started))


def test_head_and_get_are_plain_http_with_a_length_and_a_file_name():
    process, port = start_server_process("--no-store")
    try:
        app = app_bundle.build()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("HEAD", "/download/ClassChat.pyzw")
        response = connection.getresponse()
        assert response.read() == b""
        assert response.status == 200
        assert response.getheader("Content-Length") == str(len(app_bundle.for_windows(app)))
        assert response.getheader("Content-Disposition") == \
            'attachment; filename="ClassChat.pyzw"'
        connection.request("GET", "/download/classchat.pyz")    # the same connection
        response = connection.getresponse()
        assert response.read() == app                 # the bytes build_app.py writes
        connection.request("GET", "/download/nothing.exe")
        assert connection.getresponse().status == 404
        connection.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


@pytest.fixture(params=["kernel", "server"])
def chat_server(request, monkeypatch):
    """(port, held): the server as the teacher runs it, whose kernel takes a whole download
    into its send buffer on loopback; or one in this process whose sockets get a small
    send buffer, so the loop holds each download and sends it as the socket drains
    (`held()` tells how many bytes it holds for downloaders)."""
    if request.param == "kernel":
        process, port = start_server_process("--no-store", "--rate-limit", "0")
        yield port, None
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
        return
    tune = loop._tune

    def small_send_buffer(sock):
        tune(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    monkeypatch.setattr(loop, "_tune", small_send_buffer)
    web = WebAssets(extra=app_bundle.web_extra(app_bundle.apps_for_download()[0]))
    with run_server(web=web, rate_limit=0) as srv:
        yield srv.port, lambda: sum(c.output_size for c in list(srv.server.connections)
                                    if c.nick is None)


def test_slow_downloads_never_delay_the_chat_of_the_others(chat_server):
    port, held = chat_server
    app = app_bundle.build()
    alice, bob = Peer(port), Peer(port)
    alice.login("alice")
    bob.login("bob")
    quiet = chat_latencies(alice, bob, 50)             # before: the baseline

    results, stop = [], threading.Event()
    downloads = [threading.Thread(target=slow_download, args=(port, results, stop))
                 for _ in range(DOWNLOADERS)]
    for thread in downloads:
        thread.start()
    time.sleep(0.2)                                     # every download under way
    holding = held() if held else None
    started = time.monotonic()
    busy = chat_latencies(alice, bob, MESSAGES)
    chat_time = time.monotonic() - started
    assert not results, "a download ended before the chat did: not a slow link"
    stop.set()
    for thread in downloads:
        thread.join(30)
    alice.close()
    bob.close()

    assert len(results) == DOWNLOADERS
    for data, seconds in results:
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and body == app
    if held:
        assert holding > DOWNLOADERS * len(app) * 0.8, holding   # the loop held them
    p50, p99, worst = summary(busy)
    print(f"\n[{'server holds' if held else 'kernel takes'} the downloads] chat latency, "
          f"quiet: p50 {summary(quiet)[0] * 1000:.2f} ms; during {DOWNLOADERS} slow "
          f"downloads of {len(app):,} bytes ({chat_time:.1f} s of chat): p50 "
          f"{p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {worst * 1000:.2f} ms")
    assert p99 < 0.02 and worst < 0.05, (p50, p99, worst)


def chat_latencies(alice: Peer, bob: Peer, count: int) -> list[float]:
    """Alice says `count` things INTERVAL apart; how long each took to reach bob."""
    sent: dict[str, float] = {}
    got: dict[str, float] = {}

    def read():
        while len(got) < count:
            frame = bob.recv(5)
            if frame.get("type") == "msg" and frame["text"] in sent:
                got[frame["text"]] = time.monotonic()

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(count):
        text = f"message {n} {time.monotonic()}"
        sent[text] = time.monotonic()
        alice.send({"type": "msg", "text": text})
        time.sleep(INTERVAL)
    reader.join(10)
    assert len(got) == count
    return [got[text] - sent[text] for text in sent]


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    return (statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1], ordered[-1])


def test_a_cap_below_the_apps_size_leaves_the_download_out_not_the_student():
    import run_server
    from server.settings import Settings
    web, offered = run_server.web_assets(Settings(max_output=100_000))
    assert not offered and not [p for p in web.files if p.startswith("/download/")]
    web, offered = run_server.web_assets(Settings())
    assert offered and {"/download/classchat.pyz", "/download/ClassChat.pyzw"} <= set(web.files)
