"""Fixtures for the desktop client tests: a private Xvfb screen, a hidden-from-the-
user Tk root, the real server, and a config folder that is never the real home."""

import gc
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from desktop_client import config
from tests.desktop_client import helpers

XVFB_MISSING = ("The desktop client's GUI tests need Xvfb, and it is not installed.\n"
                "Install it (Debian/Ubuntu: apt-get install -y --no-install-recommends xvfb)\n"
                "or run `python run_tests.py`, which installs it. These tests are never skipped.")


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Every test gets its own settings folder (never ~/.config)."""
    folder = tmp_path / "config"
    monkeypatch.setenv(config.ENV_DIR, str(folder))
    return folder


@pytest.fixture
def fast_retry(monkeypatch):
    """Back-off, pong wait and login wait shrunk so a test sees a retry within a second."""
    from desktop_client import lifecycle
    monkeypatch.setattr(lifecycle, "BACKOFF_FIRST", 0.2)
    monkeypatch.setattr(lifecycle, "BACKOFF_CAP", 0.4)
    monkeypatch.setattr(lifecycle, "PONG_WAIT_MIN", 1.0)
    monkeypatch.setattr(lifecycle, "LOGIN_WAIT", 1.5)


@pytest.fixture(scope="session")
def display():
    """An Xvfb screen of our own; Xvfb picks a free display and tells us via -displayfd."""
    if not sys.platform.startswith("linux"):
        yield os.environ.get("DISPLAY", "")   # Windows/macOS: the real desktop
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail(XVFB_MISSING, pytrace=False)
    read_end, write_end = os.pipe()
    # -fbdir keeps the screen in a file, so a test can save a screenshot (helpers.py).
    fbdir = tempfile.mkdtemp(prefix="classchat-test-xvfb-")
    os.environ[helpers.FBDIR_ENV] = fbdir
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x900x24",
         "-nolisten", "tcp", "-nocursor", "-fbdir", fbdir],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()   # written once Xvfb accepts connections
    if not number:
        process.kill()
        pytest.fail(f"Xvfb did not start: {process.communicate()[1].decode(errors='replace')}",
                    pytrace=False)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    yield os.environ["DISPLAY"]
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old
    process.terminate()
    process.wait(5)
    shutil.rmtree(fbdir, ignore_errors=True)


@pytest.fixture
def root(display):
    import tkinter
    tk_root = tkinter.Tk()
    tk_root.geometry("880x580+0+0")
    yield tk_root
    try:
        tk_root.destroy()
    except tkinter.TclError:
        pass   # the test closed the window itself
    # Collect the dead window's Tk variables now, on this (the Tk) thread; left to a
    # later collection they could be freed on the server thread, which Tk refuses.
    gc.collect()
