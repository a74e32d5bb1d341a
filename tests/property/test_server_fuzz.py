"""Fuzzing the server: whatever a client sends, in whatever pieces, the loop answers
with the contract's frames and no exception escapes a handler."""

import json
import logging
import socket

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from protocol.errors import ERROR_CODES
from tests.hostile.conftest import read_until_closed
from tests.property.test_codec_props import raw_lines
from tests.support import Peer, run_server


class _Errors(logging.Handler):
    """Collects what the server logs at ERROR or worse (a handler's exception)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def server():
    errors = _Errors()
    logging.getLogger("server").addHandler(errors)
    try:
        with run_server(rate_limit=0) as running:
            running.errors = errors.records
            yield running
    finally:
        logging.getLogger("server").removeHandler(errors)


opening = st.sampled_from([b"", b'{"type":"login","nick":"fuzz"}\n', b"fuzzer\n",
                           b'{"type":"ping"}\n'])
streams = st.tuples(opening, st.lists(raw_lines, max_size=6),
                    st.sampled_from([b"\n", b"\r\n", b"", b"\n\n"]))


JSON_TYPES = {"welcome", "joined", "left", "msg", "users", "whoami", "pong", "error",
              "bye", "shutdown"}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(streams, st.data())
def test_any_stream_gets_contract_answers_only(server, stream, data):
    first, lines, ending = stream
    payload = first + b"\n".join(lines) + ending
    cuts = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=5)))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        start = 0
        for cut in cuts + [len(payload)]:
            sock.sendall(payload[start:cut])
            start = cut
        sock.shutdown(socket.SHUT_WR)
        answer = read_until_closed(sock)
    assert answer == b"" or answer.endswith(b"\n")
    text = answer.decode("utf-8")   # always valid UTF-8, whatever came in
    if payload.lstrip()[:1] == b"{" or not payload.strip():
        for line in text.splitlines():
            frame = json.loads(line)
            assert frame["type"] in JSON_TYPES, frame
            if frame["type"] == "error":
                assert frame["code"] in ERROR_CODES
    assert not server.errors, server.errors[0].getMessage()
    assert server.thread.is_alive()
    with Peer(server.port) as probe:
        probe.send({"type": "ping", "id": 1})
        assert probe.recv() == {"type": "pong", "id": 1}
