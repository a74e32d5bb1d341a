#!/usr/bin/env python3
"""Screenshots of the browser client, at a desk and on a phone, in screenshots/web-*.png.

    python screenshots/make_web_screenshots.py [--out DIR]

Starts the real server (`run_server.py --no-store` on a free port of 127.0.0.1), a
headless Chromium (Selenium with Debian's chromium and chromium-driver, as the tests use:
`apt-get install chromium chromium-driver fonts-noto-color-emoji`, `pip install selenium`),
a few classmates (JSON clients and one `nc`-style text user) and plays a short lesson
through the page as a person would. Callable on its own; the main screenshot script
(make_screenshots.py) may call main() too.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.support import Peer, start_server_process  # noqa: E402
from tests.web_client.conftest import (  # noqa: E402
    DESK, PHONE, set_viewport, start_chromium, wait_until,
)
from tests.web_client.pages import ChatPage  # noqa: E402

PASSWORD = "projector-safe-42"


def text_user(port, nick):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(nick.encode() + b"\n")
    return sock


def shoot(driver, out: Path, name: str) -> Path:
    time.sleep(0.3)   # let the last frame paint
    path = out / name
    driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def lesson(driver, port, out: Path) -> list:
    shots = []
    peers = []

    def student(nick):
        peer = Peer(port)
        peer.login(nick)
        peers.append(peer)
        return peer

    set_viewport(driver, *DESK)
    bob = student("bob")
    bob.send({"type": "msg", "text": "Good morning! Is the homework page 42 or 43?"})
    zoe = student("zoë")
    zoe.send({"type": "msg", "text": "43, the one with the triangles 📐"})
    time.sleep(0.2)

    # The connect form, filled in by the teacher.
    page = ChatPage(driver, port).open()
    page.find("nick").send_keys("Mr.Smith")
    page.find("password").send_keys(PASSWORD)
    shots.append(shoot(driver, out, "web-01-connect-desk.png"))
    from selenium.webdriver.common.keys import Keys
    page.find("password").send_keys(Keys.ENTER)
    wait_until(lambda: page.find("chat-view").is_displayed())
    nc = text_user(port, "carol")
    maria = student("Мария")
    time.sleep(0.3)
    page.type("Good morning, class. Today: Pythagoras. Open page 43.")
    time.sleep(0.2)
    nc.sendall("-1/2 + 3/4 = 1/4 … is that right?\n".encode())
    maria.send({"type": "msg", "text": "Доброе утро! (good morning)"})
    bob.send({"type": "msg", "text": "Sorry, I am late — can you repeat the page?", "to": "Mr.Smith"})
    time.sleep(0.3)
    page.click_user("bob")
    page.type("Page 43, exercise 2. No worries.")
    time.sleep(0.3)
    page.find("input").send_keys("And please bring a ruler tomorrow")
    shots.append(shoot(driver, out, "web-02-teacher-desk.png"))
    page.find("input").clear()
    page.click_user("")

    # A student at a desk: the teacher starred, a private message both ways.
    driver.switch_to.new_window("tab")
    student_page = ChatPage(driver, port).login("ana")
    zoe.send({"type": "msg", "text": "ana, do you have the solution for 2b?", "to": "ana"})
    time.sleep(0.3)
    student_page.click_user("zoë")
    student_page.type("Yes: the hypotenuse is 5 cm ✅")
    bob.send({"type": "msg", "text": "Thanks Mr. Smith!"})
    time.sleep(0.4)
    shots.append(shoot(driver, out, "web-03-student-desk.png"))

    # The same student on a phone.
    set_viewport(driver, *PHONE, mobile=True)
    driver.refresh()   # a phone opens the page afresh: the form remembers the nick
    wait_until(lambda: student_page.find("nick").get_attribute("value") == "ana")
    shots.append(shoot(driver, out, "web-04-connect-phone.png"))
    student_page.find("nick").send_keys(Keys.ENTER)
    wait_until(lambda: student_page.find("chat-view").is_displayed())
    time.sleep(0.5)
    zoe.send({"type": "msg", "text": "see you at lunch 🍎", "to": "ana"})
    maria.send({"type": "msg", "text": "Is exercise 3 for tomorrow too?"})
    time.sleep(0.3)
    student_page.type("Great, thanks!")
    time.sleep(0.3)
    shots.append(shoot(driver, out, "web-05-chat-phone.png"))
    student_page.find("users-toggle").click()
    time.sleep(0.2)
    shots.append(shoot(driver, out, "web-06-users-phone.png"))
    student_page.find("users-toggle").click()

    # The teacher ends the lesson: the student's phone says who and why.
    driver.switch_to.window(driver.window_handles[0])
    set_viewport(driver, *DESK)
    page.find("shut-down").click()
    page.find("down-reason").send_keys("Lesson over, see you tomorrow")
    shots.append(shoot(driver, out, "web-07-down-confirm-desk.png"))
    page.find("down-reason").send_keys(Keys.ENTER)
    driver.switch_to.window(driver.window_handles[1])
    set_viewport(driver, *PHONE, mobile=True)
    wait_until(lambda: "shut the server down" in student_page.banner(), what="the strip")
    shots.append(shoot(driver, out, "web-08-server-down-phone.png"))
    for peer in peers:
        peer.close()
    nc.close()
    return shots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (screenshots/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CHAT_ADMIN_PASSWORD": PASSWORD}
    server, port = start_server_process("--no-store", env=env)
    driver = start_chromium()
    try:
        lesson(driver, port, args.out)
    finally:
        driver.quit()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
