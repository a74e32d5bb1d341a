"""The settings file and the socket layer, without a window."""

import json
import queue
import socket
import threading
import time

from protocol.events import Error, Login, Message, Say, Welcome
from desktop_client import config
from desktop_client.net import Connection


def test_settings_round_trip_in_the_overridden_folder(config_dir):
    assert config.config_path() == config_dir / "client.json"
    assert config.load() == config.Settings()           # defaults: localhost, 5050
    assert config.save(config.Settings("10.0.0.7", 6000, "zoë"))
    assert config.load() == config.Settings("10.0.0.7", 6000, "zoë")
    assert json.loads((config_dir / "client.json").read_text("utf-8"))["nick"] == "zoë"


def test_settings_survive_a_broken_file(config_dir):
    config_dir.mkdir(parents=True)
    (config_dir / "client.json").write_text("{not json")
    assert config.load() == config.Settings()
    (config_dir / "client.json").write_text('{"host": 5, "port": 99999, "nick": "x"}')
    assert config.load() == config.Settings(nick="x")


def test_xdg_config_home_is_respected(monkeypatch, tmp_path):
    monkeypatch.delenv(config.ENV_DIR)
    monkeypatch.setattr(config.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.config_path() == tmp_path / "xdg" / "classchat" / "client.json"
    monkeypatch.setattr(config.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert config.config_path() == tmp_path / "roaming" / "classchat" / "client.json"


def test_save_never_raises(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(config.ENV_DIR, str(blocker / "sub"))
    assert config.save(config.Settings()) is False


class FakeServer:
    """A listening socket that runs `script(conn)` for the first connection."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, args=(script,), daemon=True)
        self.thread.start()

    def _serve(self, script):
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(5)
            self.received = conn.recv(65536)
            script(conn)

    def close(self):
        self.thread.join(5)
        self.sock.close()


def drain(events, until_kind, timeout=5):
    seen = []
    while True:
        item = events.get(timeout=timeout)
        seen.append(item[1:])
        if item[1] == until_kind:
            return seen


def test_connection_logs_in_decodes_frames_and_reports_the_end():
    welcome = (b'{"type":"welcome","nick":"a","users":["a"],"admin":false,'
               b'"history":[],"server":"s","extra":1}\n')

    def script(conn):
        conn.sendall(welcome + b'{"type":"msg","id":1,"ts":0,"from":"b","to":null,'
                     b'"text":"\xf0\x9f\x98\x80"}\r\n\n{"type":"future"}\nnot json\n'
                     b'{not json either\n'
                     b'{"type":"msg","id":2,"ts":0,"from":"b","to":null,"text":"last"}')

    server = FakeServer(script)
    events = queue.Queue()
    connection = Connection("127.0.0.1", server.port, events)
    connection.start(Login("a"))
    seen = drain(events, "closed")
    server.close()
    assert json.loads(server.received) == {"type": "login", "nick": "a"}
    kinds = [payload for kind, payload in seen if kind == "event"]
    assert isinstance(kinds[0], Welcome)
    assert kinds[1] == Message(1, 0, "b", None, "😀")
    assert kinds[2].type == "future"
    # A line that is not an object (a prompt for people) is skipped; broken JSON is said.
    assert isinstance(kinds[3], Error) and kinds[3].code == "bad_json"
    assert kinds[4].text == "last"          # a last line without its newline still counts
    assert seen[-1] == ("closed", "")


def test_connection_to_a_closed_port_fails_with_a_sentence():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    events = queue.Queue()
    Connection("127.0.0.1", port, events).start(Login("a"))
    kind, text = drain(events, "failed")[-1]
    assert "No chat server is running on 127.0.0.1" in text


def test_unknown_host_is_explained():
    events = queue.Queue()
    Connection("no-such-host.invalid", 5050, events).start(Login("a"))
    kind, text = drain(events, "failed", timeout=15)[-1]
    assert text == "Cannot find the computer “no-such-host.invalid”. Check the server address."


def test_sending_never_blocks_even_when_the_server_does_not_read():
    """The server stops reading: the writer thread is stuck in sendall, yet send()
    returns at once, frames from the server still arrive, and close() ends both threads."""
    hold, stuck = threading.Event(), threading.Event()

    def script(conn):
        stuck.wait(5)                          # the client's writer is blocked by now
        conn.sendall(b'{"type":"msg","id":1,"ts":0,"from":"b","to":null,"text":"still here"}\n')
        hold.wait(10)

    server = FakeServer(script)
    events = queue.Queue()
    connection = Connection("127.0.0.1", server.port, events)
    connection.start(Login("a"))
    sender = threading.Thread(
        target=lambda: [connection.send(Say("x" * 4000)) for _ in range(2000)])  # ~8 MB
    sender.start()
    sender.join(1.0)
    assert not sender.is_alive(), "send() blocked the caller"
    time.sleep(0.3)
    assert connection._writer.is_alive() and not connection._outbox.empty()  # really stuck
    stuck.set()
    kinds = [payload for kind, payload in drain(events, "event") if kind == "event"]
    assert kinds[-1].text == "still here"      # reading goes on while writing is stuck
    started = time.monotonic()
    connection.close()
    connection._writer.join(2)
    connection._reader.join(2)
    assert time.monotonic() - started < 3
    assert not connection._writer.is_alive() and not connection._reader.is_alive()
    hold.set()
    server.close()


def test_a_welcome_far_over_8_kib_and_a_prompt_line_are_read():
    """750 users and 60 messages of 200 characters: one frame of about 40 KB, sent in
    small pieces after the plain-text prompt a server gives a silent connection."""
    from protocol import MAX_SERVER_FRAME, json_codec
    users = tuple(f"student{i:03d}" for i in range(750))
    history = tuple(Message(i, 0, "bob", None, "é" * 200, i) for i in range(60))
    frame = json_codec.encode_event(Welcome("a", users, False, history, "s", seq=60))
    assert 8192 < len(frame) < MAX_SERVER_FRAME

    def script(conn):
        conn.sendall(b"Type your nickname and press Enter.\r\n")
        for start in range(0, len(frame), 1000):
            conn.sendall(frame[start:start + 1000])

    server = FakeServer(script)
    events = queue.Queue()
    Connection("127.0.0.1", server.port, events).start(Login("a"))
    seen = drain(events, "closed")
    server.close()
    welcome, = [payload for kind, payload in seen if kind == "event"]
    assert isinstance(welcome, Welcome) and len(welcome.users) == 750
    assert len(welcome.history) == 60 and welcome.history[-1].text == "é" * 200


def test_the_admin_password_never_crosses_the_wire_and_the_server_must_prove_itself():
    from protocol import auth
    from tests.support import run_server
    with run_server(admin_password="correct horse") as real:
        events = queue.Queue()
        Connection("127.0.0.1", real.port, events).start(Login("Teacher", "correct horse"))
        kind, welcome = drain(events, "event")[-1]
        assert isinstance(welcome, Welcome) and welcome.admin
        assert welcome.server_proof

    later = []

    def impostor(conn):
        # Takes over the address: answers the challenge, then claims to be the server.
        conn.sendall(b'{"type":"challenge","nonce":"00"}\n')
        later.append(conn.recv(65536))
        conn.sendall(b'{"type":"welcome","nick":"Teacher","users":["Teacher"],'
                     b'"admin":true,"history":[],"server":"fake","server_proof":"beef"}\n')
        time.sleep(0.3)

    fake = FakeServer(impostor)
    events = queue.Queue()
    Connection("127.0.0.1", fake.port, events).start(Login("Teacher", "correct horse"))
    kind, text = drain(events, "failed")[-1]
    fake.close()
    assert "could not prove that it knows the admin password" in text
    wire = fake.received + b"".join(later)
    assert b"correct horse" not in wire
    sent = [json.loads(line) for line in wire.splitlines()]
    assert sent[0] == {"type": "challenge"} and "password" not in sent[1]
    key = auth.password_key("correct horse")
    assert sent[1]["proof"] == auth.client_proof(key, "00", sent[1]["cnonce"], "Teacher")
