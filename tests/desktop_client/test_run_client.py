"""`run_client.py` as a student starts it: a real process with its own window."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support import Peer, run_server

ROOT = Path(__file__).resolve().parents[2]


def test_flags_skip_the_dialog_and_connect_at_once(display, config_dir):
    with run_server(admin_password="pw") as srv:
        watcher = Peer(srv.port)
        watcher.login("watcher")
        env = {**os.environ, "DISPLAY": display, "CLASSCHAT_CONFIG_DIR": str(config_dir)}
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run_client.py"), "--host", "127.0.0.1",
             "--port", str(srv.port), "--nick", "scripted", "--password", "pw"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            joined = watcher.expect("joined", timeout=15)
            assert joined["nick"] == "scripted"
            watcher.send({"type": "msg", "to": "scripted", "text": "are you there?"})
            watcher.expect("msg")                       # our own echo
            saved = config_dir / "client.json"             # written once welcomed
            deadline = time.monotonic() + 10
            while not saved.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert process.poll() is None               # the window is up and running
        finally:
            process.terminate()            # SIGTERM: the client logs out and exits
            out, err = process.communicate(timeout=10)
        left = watcher.expect("left")
        assert (left["nick"], left["reason"]) == ("scripted", "quit")   # a clean logout
        assert process.returncode == 0
        assert b"Traceback" not in err, err.decode(errors="replace")
    saved = json.loads((config_dir / "client.json").read_text("utf-8"))
    assert saved.pop("lang") in ("en", "ru", "pt")      # the system's language
    assert saved == {"host": "127.0.0.1", "port": srv.port, "nick": "scripted"}


def test_help_needs_no_display():
    result = subprocess.run([sys.executable, str(ROOT / "run_client.py"), "--help"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0 and "--nick" in result.stdout
