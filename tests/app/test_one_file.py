"""The one-file app run for real: `python classchat.pyz server` serves the chat, the
page and the downloads; `python classchat.pyz --nick …` opens a window that chats."""

import http.client
import signal
import subprocess
import sys
import time

import pytest

from tests.app.conftest import app_env, free_port
from tests.support import Peer, wait_until_listening


@pytest.fixture
def app_server(pyz, tmp_path):
    """`python classchat.pyz server` on 127.0.0.1: (process, port)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(pyz), "server", "--host", "127.0.0.1", "--port", str(port),
         "--admin-password-file", str(_password_file(tmp_path))],
        cwd=tmp_path, env=app_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    wait_until_listening(process, port, lambda: str(process.communicate()))
    yield process, port
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def _password_file(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text("teach\n")
    return path


def get(port: int, path: str, method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_the_server_in_the_app_chats_serves_the_page_and_hands_itself_out(app_server, pyz):
    process, port = app_server
    with Peer(port) as alice, Peer(port) as bob:
        alice.login("alice")
        bob.login("bob")
        alice.send({"type": "msg", "text": "hello from the one-file server"})
        assert bob.expect("msg")["text"] == "hello from the one-file server"

    response, body = get(port, "/")
    assert response.status == 200 and b"<title>ClassChat</title>" in body   # from the zip

    for name in ("classchat.pyz", "ClassChat.pyzw"):
        response, body = get(port, f"/download/{name}")
        assert response.status == 200
        assert body == (pyz.parent / name).read_bytes()     # what build_app.py wrote
        assert response.getheader("Content-Length") == str(len(body))
        assert response.getheader("Content-Type") == "application/octet-stream"
        assert response.getheader("Content-Disposition") == f'attachment; filename="{name}"'

    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/download/classchat.pyz" in out
    assert f"http://127.0.0.1:{port}/download/ClassChat.pyzw" in out
    assert "--export lesson.html" in out and "classchat.pyz server" in out   # hints work
    assert "Traceback" not in err, err


def test_the_client_in_the_app_opens_a_window_that_chats(app_server, pyz, display, tmp_path):
    _, port = app_server
    with Peer(port) as peer:
        peer.login("json")
        client = subprocess.Popen(
            [sys.executable, str(pyz), "--host", "127.0.0.1", "--port", str(port),
             "--nick", "windowed", "--geometry", "880x580+0+0"],
            env=app_env(tmp_path, DISPLAY=display, LANGUAGE="ru", LANG="ru_RU.UTF-8"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert peer.expect("joined", timeout=20)["nick"] == "windowed"
            typed = type_into_the_window("привет from the window")
            message = peer.expect("msg", timeout=10)
            assert (message["from"], message["text"]) == ("windowed", typed)
            assert client.poll() is None
        finally:
            client.terminate()                  # SIGTERM: logs out like closing the window
            _, err = client.communicate(timeout=10)
        left = peer.expect("left")
        assert (left["nick"], left["reason"]) == ("windowed", "quit")
    assert client.returncode == 0
    assert b"Traceback" not in err, err.decode(errors="replace")


def type_into_the_window(text: str) -> str:
    """Real key presses (xdotool) into ClassChat's input box; no window manager runs, so
    the keyboard follows the pointer: put it on the window first."""
    window = subprocess.run(["xdotool", "search", "--sync", "--class", "ClassChat"],
                            capture_output=True, text=True, timeout=10).stdout.split()[0]
    subprocess.run(["xdotool", "mousemove", "400", "300"], check=True, timeout=10)
    subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True, timeout=10)
    time.sleep(0.3)   # the window has entered the chat and focused its input
    # xdotool types a letter the keymap lacks (Cyrillic here) by remapping a spare key for
    # it; with only a few milliseconds between keys the window may read the key after the
    # next remapping and lose the letter (seen: "првет"). 40 ms apart they all arrive.
    subprocess.run(["xdotool", "type", "--delay", "40", text], check=True, timeout=20)
    subprocess.run(["xdotool", "key", "Return"], check=True, timeout=10)
    return text
