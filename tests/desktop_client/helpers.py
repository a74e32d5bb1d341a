"""Shared steps of the GUI tests."""

import os
import sys
import time
from pathlib import Path

from desktop_client import config

FBDIR_ENV = "CLASSCHAT_TEST_FBDIR"     # where the tests' Xvfb keeps its screen
from desktop_client.app import ChatApp


def start_app(root, srv=None, nick=None, password=None, host="127.0.0.1"):
    """A ChatApp in `root`; with a nick, connected and logged in to `srv`."""
    port = srv.port if srv is not None else 5050
    app = ChatApp(root, config.Settings(host, port, ""))
    root.update()
    if nick is not None:
        app.connect(host, port, nick, password)
        wait_for(root, lambda: app.presenter.online, what=f"{nick} to log in")
    return app


def type_and_enter(root, app, text):
    """Type into the input box and press Enter, as a student would (Shift+Enter
    between the lines of a text with several)."""
    entry = app.input.entry
    root.focus_force()
    entry.focus_force()
    root.update()
    app.input.clear()
    first, *more = text.split("\n")
    entry.insert("insert", first)
    for line in more:
        entry.event_generate("<Shift-Return>")
        entry.insert("insert", line)
    entry.event_generate("<Return>")
    root.update()


def pane(app) -> str:
    return app.messages.content()


def user_rows(app):
    return app.users.labels()


def click_user(root, app, nick):
    """A real mouse click on the user's row in the list."""
    tree = app.users.tree
    iid = app.users.iid_of(nick) if nick is not None else "everyone"
    assert iid is not None, f"{nick} is not in the list"
    tree.see(iid)
    root.update()
    x, y, width, height = tree.bbox(iid)
    tree.event_generate("<ButtonPress-1>", x=x + 20, y=y + height // 2)
    tree.event_generate("<ButtonRelease-1>", x=x + 20, y=y + height // 2)
    spin(root, 0.05)


def spin(root, seconds: float = 0.1) -> None:
    """Let Tk (and our after() pump) run for a while, as mainloop() would."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()
        time.sleep(0.005)


def wait_for(root, condition, timeout: float = 5.0, what: str = "the condition"):
    """Run the Tk loop until condition() is true; fail with `what` otherwise."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        root.update()
        value = condition()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def screenshot(root, path) -> Path:
    """Save the window as a PNG (from the screen file of the tests' Xvfb)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "screenshots"))
    import xwd
    root.update()
    root.winfo_pointerxy()       # a round trip: the X server has drawn everything
    box = (root.winfo_rootx(), root.winfo_rooty(),
           root.winfo_rootx() + root.winfo_width(), root.winfo_rooty() + root.winfo_height())
    xwd.xwd_to_png(os.path.join(os.environ[FBDIR_ENV], "Xvfb_screen0"), str(path), box=box)
    return Path(path)
