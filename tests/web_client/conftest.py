"""One headless Chromium for the whole session (Selenium + Debian's chromium-driver), a
fresh page per test, and the real server on 127.0.0.1 serving web_client/.

The browser never talks to anything but 127.0.0.1: the host resolver maps every other
name to nothing (see /work/shared/BROWSER-TESTING.md). Missing Chromium or its driver
fails the tests loudly (`python run_tests.py` installs them); it never skips them.
"""

import contextlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.support import Peer

os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
DESK = (1100, 700)
PHONE = (390, 844)
WAIT = 8.0


def chromium_options(width=DESK[0], height=DESK[1]):
    from selenium.webdriver.chrome.options import Options
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--disable-extensions", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                 f"--window-size={width},{height}", "--lang=en-US"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def start_chromium(width=DESK[0], height=DESK[1]):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: `python run_tests.py` installs chromium and "
                    "chromium-driver (apt-get install chromium chromium-driver)")
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER),
                            options=chromium_options(width, height))


@pytest.fixture(scope="session")
def chromium():
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The session's browser at desk size, on a blank page, with nothing left over."""
    set_viewport(chromium, *DESK)
    chromium.get_log("browser")   # what an earlier test's pages logged is not this test's
    yield chromium
    # No page from this test may keep a socket open into the next one.
    with contextlib.suppress(Exception):
        chromium.switch_to.window(chromium.window_handles[0])
        for handle in chromium.window_handles[1:]:
            chromium.switch_to.window(handle)
            chromium.close()
        chromium.switch_to.window(chromium.window_handles[0])
    chromium.get("about:blank")
    chromium.delete_all_cookies()


def set_viewport(driver, width, height, mobile=False):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def web_assets():
    """The page's files as the server serves them, plus the desktop client's catalogs at
    /locale/<code>.json (the one catalog source both clients translate from)."""
    from server.dialects.web import WebAssets
    locale = ROOT / "desktop_client" / "locale"
    extra = {f"/locale/{path.name}": (path.read_bytes(), ())
             for path in sorted(locale.glob("*.json"))}
    served = WebAssets()
    if all(name in served.files for name in extra):
        return served     # the server serves them itself
    return WebAssets(extra=extra)


@contextlib.contextmanager
def web_server(port=0, **settings):
    """The real server on 127.0.0.1 in a thread (as tests.support.run_server), serving
    web_client/ and the catalogs; `port` to start again where a stopped one listened."""
    import threading
    from dataclasses import replace

    from server.loop import ChatServer
    from server.settings import Settings
    from tests.support import RunningServer
    settings = {"rate_limit": 20.0, "rate_burst": 40, "admin_password": "secret", **settings}
    chat = ChatServer(replace(Settings(), host="127.0.0.1", port=port, **settings),
                      web=web_assets())
    thread = threading.Thread(target=chat.serve_forever, name="chat-server", daemon=True)
    thread.start()
    running = RunningServer(chat, thread)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def chat_server():
    with web_server() as running:
        yield running


@pytest.fixture
def peers():
    """peers(port) -> a JSON Peer, closed at the end of the test."""
    made = []

    def make(port):
        peer = Peer(port)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.close()


def wait_until(condition, timeout=WAIT, what="the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


def run_module(driver, body: str, *args):
    """Runs `body` (an async function body; `args` holds the arguments) in the page with
    the page's modules at hand: `mod(name)` imports web_client/<name>."""
    script = ("const done = arguments[arguments.length - 1];"
              "const args = Array.from(arguments).slice(0, -1);"
              "const mod = (name) => import('/' + name);"
              f"(async () => {{ {body} }})().then((value) => done({{ok: value}}),"
              "(error) => done({error: String(error && error.stack || error)}));")
    driver.set_script_timeout(20)
    result = driver.execute_async_script(script, *args)
    if "error" in result:
        raise AssertionError(f"in the page: {result['error']}")
    return result["ok"]


def page_errors(driver):
    """Errors the page's console logged (CSP refusals, exceptions)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def dump(value):
    return json.dumps(value, ensure_ascii=False, indent=1)
