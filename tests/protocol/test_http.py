"""The HTTP/1.1 request reader, response writer and WebSocket handshake, without sockets."""

import time

import h11
import pytest
from hypothesis import given, settings, strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto import events as wse
from wsproto.utilities import RemoteProtocolError as WsprotoRemoteError

from protocol import http
from protocol.http import Request, RequestReader, Response

# What Chromium sends to open a page and then its WebSocket (as seen in DevTools, with
# the key and User-Agent of one run).
CHROMIUM_PAGE = (
    b"GET / HTTP/1.1\r\n"
    b"Host: 127.0.0.1:5050\r\n"
    b"Connection: keep-alive\r\n"
    b'sec-ch-ua: "Chromium";v="120", "Not?A_Brand";v="8"\r\n'
    b"sec-ch-ua-mobile: ?0\r\n"
    b'sec-ch-ua-platform: "Linux"\r\n'
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"HeadlessChrome/120.0.6099.224 Safari/537.36\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    b"image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
    b"Sec-Fetch-Site: none\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Sec-Fetch-User: ?1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Accept-Language: en-US,en;q=0.9\r\n"
    b"\r\n")
CHROMIUM_UPGRADE = (
    b"GET /ws HTTP/1.1\r\n"
    b"Host: 127.0.0.1:5050\r\n"
    b"Connection: Upgrade\r\n"
    b"Pragma: no-cache\r\n"
    b"Cache-Control: no-cache\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"HeadlessChrome/120.0.6099.224 Safari/537.36\r\n"
    b"Upgrade: websocket\r\n"
    b"Origin: http://127.0.0.1:5050\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Accept-Language: en-US,en;q=0.9\r\n"
    b"Sec-WebSocket-Key: 3a0fBEfSYNcItc7dBRjiLQ==\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"\r\n")
# RFC 6455 §1.3
RFC_HANDSHAKE = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n")


def read_all(data, max_head=8192):
    return RequestReader(max_head).feed(data)


def read_bytewise(data, max_head=8192):
    reader = RequestReader(max_head)
    events = []
    for i in range(len(data)):
        events += reader.feed(data[i:i + 1])
    return events


def status_of(data, max_head=8192, bytewise=False):
    reader = RequestReader(max_head)
    with pytest.raises(http.RemoteProtocolError) as info:
        if bytewise:
            for i in range(len(data)):
                reader.feed(data[i:i + 1])
        else:
            reader.feed(data)
    return info.value.status


def get(target="/", *headers, version="1.1"):
    lines = [f"GET {target} HTTP/{version}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def request(data) -> Request:
    (event,) = read_all(data)
    return event


# --- reading requests -------------------------------------------------------------------

def test_a_simple_get():
    assert read_all(b"GET /app.js?v=2 HTTP/1.1\r\nHost: a:5050\r\nAccept:  */*  \r\n\r\n") == [
        Request("GET", "/app.js?v=2", (("host", "a:5050"), ("accept", "*/*")), "1.1")]
    req = request(b"GET /app.js?v=2 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert req.path == "/app.js" and req.keep_alive


VALID = {
    "chromium page": CHROMIUM_PAGE,
    "chromium upgrade": CHROMIUM_UPGRADE,
    "rfc handshake": RFC_HANDSHAKE,
    "head": b"HEAD /style.css HTTP/1.1\r\nHost: x\r\n\r\n",
    "http/1.0 without host": b"GET / HTTP/1.0\r\n\r\n",
    "bare lf": b"GET / HTTP/1.1\nHost: x\nAccept: */*\n\n",
    "mixed endings": b"GET / HTTP/1.1\r\nHost: x\n\r\n",
    "empty value": b"GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Blank:   \r\n\r\n",
    "content-length 0": b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "absolute target": b"GET http://x/page HTTP/1.1\r\nHost: x\r\n\r\n",
    "ipv6 host": b"GET / HTTP/1.1\r\nHost: [::1]:5050\r\n\r\n",
    "obs-text value": b"GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9\r\n\r\n",
    "tab in value": b"GET / HTTP/1.1\r\nHost: x\r\nX-T: a\tb\r\n\r\n",
    "leading empty lines": b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("name", VALID)
def test_valid_request_whole_byte_by_byte_and_split_anywhere(name):
    data = VALID[name]
    whole = read_all(data)
    assert len(whole) == 1 and isinstance(whole[0], Request)
    assert read_bytewise(data) == whole
    for cut in range(len(data) + 1):
        reader = RequestReader()
        events = reader.feed(data[:cut])
        if not reader.paused:                 # an upgrade request pauses the reader
            events += reader.feed(data[cut:])
        assert events == whole and reader.trailing == b""


def test_header_names_are_lower_case_and_values_trimmed():
    req = request(b"GET / HTTP/1.1\r\nHOST: X\r\nX-Caf: caf\xe9 \t\r\n\r\n")
    assert req.headers == (("host", "X"), ("x-caf", "café"))


def test_keep_alive_several_requests_on_one_connection():
    data = (get("/", "Host: x") + get("/app.js", "Host: x")
            + b"HEAD /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    events = read_all(data)
    assert [(e.method, e.target) for e in events] == [
        ("GET", "/"), ("GET", "/app.js"), ("HEAD", "/style.css")]
    assert [e.keep_alive for e in events] == [True, True, False]
    assert read_bytewise(data) == events
    reader = RequestReader()
    assert [e.target for e in reader.feed(get("/", "Host: x"))] == ["/"]
    assert [e.target for e in reader.feed(get("/two", "Host: x")[:-1])] == []
    assert [e.target for e in reader.feed(b"\n")] == ["/two"]


def test_http_1_0_keep_alive_only_when_asked():
    assert not request(b"GET / HTTP/1.0\r\n\r\n").keep_alive
    assert request(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive


def test_a_head_of_exactly_max_head_is_accepted():
    data = get("/", "Host: x")
    assert len(read_all(data, max_head=len(data))) == 1
    assert status_of(data, max_head=len(data) - 1) == 431


ERRORS = {
    "no host in 1.1": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "two hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
    "two hosts in 1.0": (b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "bad host": (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    "host list": (b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400),
    "obs-fold": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", 400),
    "obs-fold tab": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n", 400),
    "space before colon": (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    "space in name": (b"GET / HTTP/1.1\r\nHost: x\r\nX A: 1\r\n\r\n", 400),
    "no colon": (b"GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n", 400),
    "empty name": (b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400),
    "control in value": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    "bare cr in value": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
    "version without minor": (b"GET / HTTP/1\r\nHost: x\r\n\r\n", 400),
    "lower-case http": (b"GET / http/1.1\r\nHost: x\r\n\r\n", 400),
    "two spaces": (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "no target": (b"GET HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "trailing space": (b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
    "tls hello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 400),
    "chat json": (b'{"type":"login","nick":"a"}\n\n', 400),
    "target not a path": (b"GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "non-ascii target": ("GET /é HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400),
    "http/2": (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "http/0.9": (b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505),
    "post": (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 405),
    "options": (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "delete": (b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    "get with a body": (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 413),
    "huge content-length": (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: "
                            + b"9" * 5000 + b"\r\n\r\n", 413),
    "chunked": (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    "bad content-length": (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    "content-length list": (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 0\r\n\r\n", 400),
    "conflicting lengths": (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                            b"Content-Length: 1\r\n\r\n", 400),
    "head too large": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000, 431),
    "head too large, ended": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000
                              + b"\r\n\r\n", 431),
    "many headers": (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 2000 + b"\r\n", 431),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_gives_its_status(name):
    data, status = ERRORS[name]
    assert status_of(data) == status
    assert status_of(data, bytewise=True) == status


def test_obsolete_line_folding_is_named_as_such():
    with pytest.raises(http.RemoteProtocolError, match="folding"):
        read_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n")


def test_405_names_the_allowed_methods():
    with pytest.raises(http.RemoteProtocolError) as info:
        read_all(b"PUT / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert info.value.headers == (("Allow", "GET, HEAD"),)


def test_head_over_max_is_refused_without_waiting_for_its_end():
    reader = RequestReader(max_head=100)
    assert reader.feed(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 12) == []
    with pytest.raises(http.RemoteProtocolError) as info:
        reader.feed(b"X: y\r\n" * 3)                   # 106 bytes, still no end
    assert info.value.status == 431


def test_error_keeps_earlier_requests_and_kills_the_reader():
    reader = RequestReader()
    with pytest.raises(http.RemoteProtocolError) as info:
        reader.feed(get("/", "Host: x") + b"BROKEN\r\n\r\n")
    assert [e.target for e in info.value.events] == ["/"]
    with pytest.raises(http.LocalProtocolError):
        reader.feed(get("/", "Host: x"))


@pytest.mark.parametrize("line", [b"X:" + b" " * 8000 + b"\x01", b"X: " + b"a " * 4000 + b"\x01",
                                  b"X: " + b"a\t" * 4000 + b"\x01", b"X" * 8000 + b" :"])
def test_pathological_header_lines_are_refused_quickly(line):
    start = time.perf_counter()
    assert status_of(b"GET / HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n", 9000) == 400
    assert time.perf_counter() - start < 0.05


def test_reading_stays_linear_byte_by_byte():
    data = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"p" * 8000 + b"\r\n\r\n"
    assert len(read_bytewise(data, max_head=8192)) == 1
    reader = RequestReader()
    for i in range(len(data) - 1):
        reader.feed(data[i:i + 1])
        assert reader._searched == len(reader._buffer)   # searched once, never again


# --- the upgrade hand-over --------------------------------------------------------------

def test_upgrade_request_pauses_and_hands_over_the_bytes_after_it():
    reader = RequestReader()
    frames = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58GET / HTTP/1.1\r\n"
    events = reader.feed(get("/", "Host: x") + CHROMIUM_UPGRADE + frames)
    assert [e.target for e in events] == ["/", "/ws"]
    assert reader.paused and reader.trailing == frames
    with pytest.raises(http.LocalProtocolError):
        reader.feed(b"more")


def test_upgrade_request_byte_by_byte_leaves_nothing_trailing():
    reader = RequestReader()
    events = []
    for i in range(len(CHROMIUM_UPGRADE)):
        events += reader.feed(CHROMIUM_UPGRADE[i:i + 1])
    assert [e.target for e in events] == ["/ws"] and reader.trailing == b""


def test_resume_after_a_refused_upgrade_goes_on_with_http():
    reader = RequestReader()
    upgrade = get("/", "Host: x", "Upgrade: h2c", "Connection: Upgrade")
    assert [e.target for e in reader.feed(upgrade + get("/next", "Host: x"))] == ["/"]
    assert [e.target for e in reader.resume()] == ["/next"]
    assert not reader.paused
    with pytest.raises(http.LocalProtocolError):
        reader.resume()


def test_upgrade_insecure_requests_is_not_an_upgrade():
    reader = RequestReader()
    assert len(reader.feed(CHROMIUM_PAGE + CHROMIUM_PAGE)) == 2
    assert not reader.paused


# --- the WebSocket handshake ------------------------------------------------------------

def test_rfc_6455_accept_example():
    assert http.websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_rfc_handshake_is_accepted_and_answered():
    key = http.check_upgrade(request(RFC_HANDSHAKE))
    assert key == "dGhlIHNhbXBsZSBub25jZQ=="
    assert http.upgrade_response(key) == (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def test_chromium_upgrade_is_accepted_from_its_own_page():
    req = request(CHROMIUM_UPGRADE)
    assert http.check_upgrade(req) == "3a0fBEfSYNcItc7dBRjiLQ=="
    assert http.origin_matches_host(req)


def upgrade(*replace, drop=()):
    headers = {"Host": "x:5050", "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    for name in drop:
        del headers[name]
    for name, value in replace:
        headers[name] = value
    return request(get("/ws", *(f"{k}: {v}" for k, v in headers.items())))


def test_upgrade_tokens_are_case_insensitive_lists():
    req = upgrade(("Upgrade", "foo/2, WebSocket"), ("Connection", "keep-alive, UPGRADE"))
    assert http.check_upgrade(req) == "dGhlIHNhbXBsZSBub25jZQ=="


@pytest.mark.parametrize("replace, drop, status, header", [
    ((), ("Upgrade",), 426, ("Upgrade", "websocket")),
    ((("Upgrade", "h2c"),), (), 426, ("Upgrade", "websocket")),
    ((), ("Connection",), 400, None),
    ((("Connection", "keep-alive"),), (), 400, None),
    ((), ("Sec-WebSocket-Version",), 426, ("Sec-WebSocket-Version", "13")),
    ((("Sec-WebSocket-Version", "8"),), (), 426, ("Sec-WebSocket-Version", "13")),
    ((), ("Sec-WebSocket-Key",), 400, None),
    ((("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"),), (), 400, None),      # no padding
    ((("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZSE="),), (), 400, None),    # 17 bytes
    ((("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="),), (), 400, None),
])
def test_check_upgrade_refusals(replace, drop, status, header):
    with pytest.raises(http.RemoteProtocolError) as info:
        http.check_upgrade(upgrade(*replace, drop=drop))
    assert info.value.status == status
    if header:
        assert header in info.value.headers


def test_upgrade_must_be_an_http_1_1_get():
    head = b"HEAD /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"
    old = (b"GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
           b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    for data in (head, old):
        with pytest.raises(http.RemoteProtocolError) as info:
            http.check_upgrade(request(data))
        assert info.value.status == 400


@pytest.mark.parametrize("host, origin, same", [
    ("127.0.0.1:5050", "http://127.0.0.1:5050", True),
    ("Classroom.local:5050", "http://classroom.LOCAL:5050", True),
    ("chat.example", "http://chat.example", True),
    ("chat.example:80", "http://chat.example", True),
    ("chat.example", "https://chat.example", True),
    ("[::1]:5050", "http://[::1]:5050", True),
    ("127.0.0.1:5050", "http://127.0.0.1:5051", False),
    ("127.0.0.1:5050", "http://evil.example:5050", False),
    ("127.0.0.1:5050", "null", False),
    ("127.0.0.1:5050", "file://", False),
    ("127.0.0.1:5050", "http://127.0.0.1:5050/page", False),
    ("127.0.0.1:5050", "http://127.0.0.1:99999", False),
    ("chat.example", "https://chat.example:80", False),
])
def test_origin_matches_host(host, origin, same):
    assert http.origin_matches_host(upgrade(("Host", host), ("Origin", origin))) is same


def test_origin_absent_is_allowed_but_not_doubled_or_without_host():
    assert http.origin_matches_host(upgrade())
    two = request(get("/ws", "Host: x", "Origin: http://x", "Origin: http://x"))
    assert not http.origin_matches_host(two)
    no_host = request(b"GET /ws HTTP/1.0\r\nOrigin: http://x\r\n\r\n")
    assert not http.origin_matches_host(no_host)


# --- writing responses ------------------------------------------------------------------

def test_response_bytes():
    response = Response(200, (("Content-Type", "text/html; charset=utf-8"),), b"<p>hi</p>")
    expected = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: 9\r\n\r\n<p>hi</p>")
    assert bytes(response) == expected
    assert response.encode(head_request=True) == expected[:-9]


@pytest.mark.parametrize("headers, status, body", [
    ((("Content-Length", "3"),), 200, b"abc"),
    ((("Transfer-Encoding", "chunked"),), 200, b""),
    ((("Bad Name", "x"),), 200, b""),
    ((("X", "a\r\nInjected: 1"),), 200, b""),
    ((("X", " padded"),), 200, b""),
    ((("X", "snow ☃"),), 200, b""),
    ((), 99, b""),
    ((), 600, b""),
    ((), 204, b"body"),
])
def test_response_misuse_is_our_error(headers, status, body):
    with pytest.raises(http.LocalProtocolError):
        Response(status, headers, body).encode()


SECURITY = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"))


@pytest.mark.parametrize("status", [400, 404, 405, 413, 426, 431, 501, 505])
def test_error_responses(status):
    data = http.error_response(status, security_headers=SECURITY)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 %d " % status)
    assert b"Content-Type: text/plain; charset=utf-8" in lines
    assert b"X-Content-Type-Options: nosniff" in lines
    assert b"Referrer-Policy: no-referrer" in lines
    assert b"Content-Length: %d" % len(body) in lines
    assert body.startswith(b"%d " % status) and body.endswith(b"\n")
    assert (b"Connection: close" in lines) is (status != 404)


def test_error_response_carries_the_errors_headers():
    data = http.error_response(426, headers=(("Upgrade", "websocket"),))
    assert b"\r\nUpgrade: websocket\r\n" in data
    assert b"\r\nConnection: Upgrade, close\r\n" in data
    data = http.error_response(405, "no", headers=(("Allow", "GET, HEAD"),), head_request=True)
    assert data.endswith(b"Content-Length: 7\r\n\r\n")
    with pytest.raises(http.LocalProtocolError):
        http.error_response(200)


# --- cross-checked with h11 and wsproto -------------------------------------------------

def test_h11_client_requests_are_read_and_our_responses_are_read_by_h11():
    client = h11.Connection(h11.CLIENT)
    reader = RequestReader()
    for target in ("/", "/app.js", "/style.css"):
        data = client.send(h11.Request(method="GET", target=target, headers=[
            ("Host", "127.0.0.1:5050"), ("Accept", "*/*"), ("User-Agent", "h11")]))
        data += client.send(h11.EndOfMessage())
        (req,) = reader.feed(data)
        assert (req.method, req.target, req.get("host")) == ("GET", target, "127.0.0.1:5050")
        client.receive_data(bytes(Response(200, (("Content-Type", "text/plain"),),
                                           target.encode())))
        response = client.next_event()
        assert response.status_code == 200
        assert client.next_event().data == target.encode()
        assert isinstance(client.next_event(), h11.EndOfMessage)
        client.start_next_cycle()


@pytest.mark.parametrize("status", [400, 404, 405, 426, 431])
def test_h11_reads_our_error_responses(status):
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    client.send(h11.EndOfMessage())
    client.receive_data(http.error_response(status, security_headers=SECURITY))
    response = client.next_event()
    assert response.status_code == status
    assert isinstance(client.next_event(), h11.Data)
    assert isinstance(client.next_event(), h11.EndOfMessage)


def test_wsproto_client_handshake_is_accepted_and_our_answer_accepted_by_it():
    client = WSConnection(ConnectionType.CLIENT)
    data = client.send(wse.Request(host="127.0.0.1:5050", target="/ws"))
    reader = RequestReader()
    (req,) = reader.feed(data)
    key = http.check_upgrade(req)
    client.receive_data(http.upgrade_response(key))
    assert isinstance(next(client.events()), wse.AcceptConnection)


def test_wsproto_client_refuses_a_wrong_accept():
    client = WSConnection(ConnectionType.CLIENT)
    client.send(wse.Request(host="x", target="/ws"))
    with pytest.raises(WsprotoRemoteError, match="accept"):
        client.receive_data(http.upgrade_response("dGhlIHNhbXBsZSBub25jZQ=="))


# --- properties -------------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(st.lists(st.binary(max_size=120), max_size=6), st.integers(16, 300))
def test_random_bytes_raise_nothing_but_our_errors(chunks, max_head):
    reader = RequestReader(max_head)
    try:
        for chunk in chunks:
            if reader.paused:
                reader.resume()
            else:
                reader.feed(chunk)
    except http.RemoteProtocolError as exc:
        assert exc.status in (400, 405, 413, 431, 501, 505)


line_piece = st.sampled_from([b"GET", b"HEAD", b"POST", b" ", b"/", b"HTTP/1.1", b"HTTP/1.0",
                              b"\r\n", b"\n", b"\r", b"Host", b":", b"x", b"Upgrade",
                              b"Content-Length", b"0", b"1", b"\t", b"\x00", b"\xff", b","])


@settings(max_examples=500, deadline=None)
@given(st.lists(line_piece, max_size=60), st.integers(1, 10))
def test_http_shaped_noise_raises_nothing_but_our_errors(pieces, step):
    data = b"".join(pieces)
    reader = RequestReader(max_head=200)
    try:
        for i in range(0, len(data), step):
            if not reader.paused:
                reader.feed(data[i:i + step])
    except http.RemoteProtocolError as exc:
        assert exc.status in (400, 405, 413, 431, 501, 505)


token = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
value = st.text("".join(chr(c) for c in range(0x21, 0x7F)) + " éü", max_size=30).map(
    lambda v: v.strip())
headers = st.lists(st.tuples(token.filter(lambda n: n not in (
    "host", "upgrade", "content-length", "transfer-encoding")), value), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["GET", "HEAD"]),
                          st.text("abc/._~-?=&%", max_size=20).map(lambda t: "/" + t),
                          headers), min_size=1, max_size=4),
       st.integers(1, 40))
def test_random_valid_requests_round_trip(requests, step):
    expected = [Request(method, target, (("host", "x"), *headers), "1.1")
                for method, target, headers in requests]
    data = b"".join(
        (f"{r.method} {r.target} HTTP/1.1\r\n"
         + "".join(f"{n}: {v}\r\n" for n, v in r.headers) + "\r\n").encode("latin-1")
        for r in expected)
    reader = RequestReader()
    events = []
    for i in range(0, len(data), step):
        events += reader.feed(data[i:i + step])
    assert events == expected
