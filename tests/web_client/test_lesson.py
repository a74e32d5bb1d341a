"""The browser client in a real lesson: the real server on 127.0.0.1, a JSON client and
an nc user in the same room, the teacher's controls, a dropped link."""

import socket
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.web_client.conftest import page_errors, wait_until
from tests.web_client.pages import ChatPage


class NcUser:
    """A person on `nc`: plain lines both ways."""

    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""
        self.sock.sendall(nick.encode() + b"\n")

    def say(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def wait_line(self, fragment, timeout=8.0):
        deadline = time.monotonic() + timeout
        while True:
            for line in self.buffer.decode("utf-8", "replace").split("\n"):
                if fragment in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"nc user never saw {fragment!r}: {self.buffer[-400:]!r}")
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError(f"closed before {fragment!r}: {self.buffer[-400:]!r}")
            self.buffer += chunk

    def close(self):
        self.sock.close()


def expect_msg(peer, text, timeout=8.0):
    deadline = time.monotonic() + timeout
    while True:
        frame = peer.expect("msg", max(0.1, deadline - time.monotonic()))
        if frame["text"] == text:
            return frame


def drain(peer, quiet=0.5):
    """Everything the peer has been sent until it has been quiet for `quiet` s."""
    frames = []
    while not peer.nothing_within(quiet) or peer.unread:
        frames.append(peer.line().decode())
    return " ".join(frames)


def test_log_in_and_chat_with_a_json_client_and_an_nc_user(browser, chat_server, peers):
    bob = peers(chat_server.port)
    bob.login("bob")
    carol = NcUser(chat_server.port, "carol")
    carol.wait_line("Welcome, carol")
    page = ChatPage(browser, chat_server.port).login("alice")

    # After logging in the message box has the keyboard focus, and Enter sends.
    assert page.focused_id() == "input"
    page.wait_line("Welcome, alice!")
    assert wait_until(lambda: "bob" in " ".join(page.user_labels()))
    assert page.user_labels()[0] == "Everyone"
    assert "alice (you)" in page.user_labels()
    page.type("hello from the browser ✨")
    frame = expect_msg(bob, "hello from the browser ✨")
    assert frame["from"] == "alice" and frame["to"] is None and frame["cid"]
    carol.wait_line("alice: hello from the browser ✨")
    own = page.wait_line("hello from the browser ✨")
    assert "alice (you)" in own
    wait_until(lambda: "✓" in page.wait_line("hello from the browser"), what="the echo's ✓")

    bob.send({"type": "msg", "text": "hi alice, from json"})
    page.wait_line("bob: hi alice, from json")
    carol.say("and hello from nc")
    page.wait_line("carol: and hello from nc")
    # New messages reach screen readers through the live region.
    announcer = page.find("announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    wait_until(lambda: "carol: and hello from nc" in announcer.get_attribute("textContent"))

    # A multi-line message with Shift+Enter; a typed flag.
    box = page.find("input")
    box.send_keys("line one", Keys.SHIFT, Keys.ENTER, Keys.NULL, "line two", Keys.ENTER)
    assert expect_msg(bob, "line one\nline two")
    page.type("-whoami")
    page.wait_line("You are alice.")
    page.type("-nonsense")
    page.wait_line("Unknown flag")
    assert box.get_attribute("value") == "-nonsense"    # kept, so it can be fixed
    carol.close()
    assert page_errors(browser) == []


def test_private_message_by_clicking_a_name(browser, chat_server, peers):
    bob = peers(chat_server.port)
    bob.login("bob")
    zoe = peers(chat_server.port)
    zoe.login("zoë")
    page = ChatPage(browser, chat_server.port).login("alice")
    wait_until(lambda: any("zoë" in label for label in page.user_labels()))
    page.click_user("bob")
    assert page.find("recipient").text == "To: bob"
    assert "private" in page.find("recipient").get_attribute("class")
    assert page.focused_id() == "input"        # a click on a name goes back to typing
    page.type("psst, bob")
    frame = expect_msg(bob, "psst, bob")
    assert frame["to"] == "bob"
    assert "psst, bob" not in drain(zoe)     # nobody else got it
    mine = page.wait_line("psst, bob")
    assert "you → bob" in mine and "private" in mine
    bob.send({"type": "msg", "text": "what?", "to": "alice"})
    theirs = page.wait_line("what?")
    assert "bob → you" in theirs
    row = browser.find_elements(By.CSS_SELECTOR, "#messages li.private")
    assert len(row) == 2

    # The picked person leaves: back to Everyone, and said so.
    bob.send({"type": "logout"})
    page.wait_line("your messages go to Everyone again")
    assert page.find("recipient").text == "To: Everyone"
    page.click_user("zoë")
    page.click_user("")                        # Everyone
    page.type("to all again")
    assert expect_msg(zoe, "to all again")["to"] is None


def test_teacher_logs_in_by_proof_kicks_and_shuts_down(browser, chat_server, peers, monkeypatch):
    # The password never goes on the wire: record what the server's room was handed.
    logins = []
    room = chat_server.room
    original = room.handle

    def spy(conn, command):
        if type(command).__name__ == "Login":
            logins.append(command)
        return original(conn, command)

    monkeypatch.setattr(room, "handle", spy)
    bob = peers(chat_server.port)
    bob.login("bob")
    zoe = peers(chat_server.port)    # in before the kick: a ban keeps out bob's address too
    zoe.login("zoe")
    page = ChatPage(browser, chat_server.port).login("Mr.Smith", chat_server.admin_password)
    page.wait_line("You are an admin")
    teacher = [login for login in logins if login.nick == "Mr.Smith"]
    assert teacher and all(login.password is None and login.proof for login in teacher)
    assert page.find("password").get_attribute("value") == ""
    assert "secret" not in browser.execute_script("return JSON.stringify(localStorage)")
    assert "Mr.Smith (you, admin)" in " ".join(page.user_labels())
    joined = bob.expect("joined")
    while joined["nick"] != "Mr.Smith":
        joined = bob.expect("joined")
    assert joined["admin"] is True
    page.type("good morning")
    assert expect_msg(bob, "good morning")["admin"] is True
    assert "★ Mr.Smith" in page.wait_line("good morning")

    # Kick bob from the admin box, with a reason and 5 minutes.
    page.click_user("bob")
    page.find("kick-picked").click()
    page.find("kick-reason").send_keys("too loud")
    minutes = page.find("kick-minutes")
    minutes.clear()
    minutes.send_keys("5", Keys.ENTER)
    bye = bob.expect("bye")
    assert bye["reason"] == "kicked" and bye["message"] == "too loud" and bye["minutes"] == 5
    kicked = page.wait_line("bob was removed by Mr.Smith: too loud")
    assert kicked.endswith("Undo")                 # the teacher can take the ban back

    # Shut the server down, with a reason: a student (a JSON client) is told.
    page.find("shut-down").click()
    page.find("down-reason").send_keys("lesson over", Keys.ENTER)
    down = zoe.expect("shutdown")
    assert down["by"] == "Mr.Smith" and down["reason"] == "lesson over"
    wait_until(lambda: "You shut the server down: lesson over." in page.banner(),
               what="the shutdown strip")


def test_a_server_that_cannot_prove_the_password_is_refused(browser, chat_server, monkeypatch):
    import protocol.auth
    monkeypatch.setattr(protocol.auth, "server_proof", lambda key, nonce, cnonce: "00" * 32)
    page = ChatPage(browser, chat_server.port).open()
    page.find("nick").send_keys("Mr.Smith")
    page.find("password").send_keys(chat_server.admin_password, Keys.ENTER)
    error = wait_until(lambda: page.find("connect-error").text, what="the refusal")
    assert "could not prove" in error
    assert not page.find("chat-view").is_displayed()
