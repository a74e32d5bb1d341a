"""A dropped link resumed exactly once, the phone-sized page, the remembered form, the
title's unread count, the follow rule and the languages."""

from selenium.webdriver.common.keys import Keys

from tests.lesson.relay import Relay
from tests.web_client.conftest import PHONE, set_viewport, wait_until, web_server
from tests.web_client.pages import ChatPage
from tests.web_client.test_lesson import drain, expect_msg


def test_a_silently_dead_link_is_noticed_and_resumed_exactly_once(browser, peers):
    with web_server(heartbeat=1.0, resume_grace=30.0) as chat_server:
        relay = Relay(chat_server.port)
        try:
            bob = peers(chat_server.port)
            bob.login("bob")
            # The page comes through the relay too, so its WebSocket does (Origin = Host).
            page = ChatPage(browser, relay.port).login("alice")
            page.wait_line("Welcome, alice!")
            page.type("before the drop")
            expect_msg(bob, "before the drop")
            relay.freeze()                       # the cable is pulled: no FIN, no RST
            page.type("typed while the link is dead")
            pending = page.wait_line("typed while the link is dead")
            assert "✓" not in pending
            bob.send({"type": "msg", "text": "said while alice was away"})
            # No frame within max(5, heartbeat/2) s of a ping: the page says so by itself.
            wait_until(lambda: "Connection lost" in page.banner(), timeout=9,
                       what="the lost-link strip")
            assert "waiting to send" in page.find("waiting").text or "✓" not in page.wait_line("typed while")
            # It comes back over a new link (the relay passes new ones), resumes the session.
            wait_until(lambda: page.state() == "online", timeout=10, what="back online")
            page.wait_line("bob: said while alice was away")
            wait_until(lambda: "✓" in page.wait_line("typed while the link is dead"),
                       what="the resent message confirmed")
            assert expect_msg(bob, "typed while the link is dead")["from"] == "alice"
            # Exactly once: nobody saw alice leave, bob got the message once, the page shows
            # every message once and no second welcome.
            rest = drain(bob, 1.0)
            assert "typed while the link is dead" not in rest and '"left"' not in rest
            lines = page.lines()
            assert sum("said while alice was away" in line for line in lines) == 1
            assert sum("typed while the link is dead" in line for line in lines) == 1
            assert sum("Welcome, alice!" in line for line in lines) == 1
            assert not page.banner()
            page.type("after the resume")
            expect_msg(bob, "after the resume")
        finally:
            relay.close()


def test_a_restarted_server_gets_a_fresh_login_and_the_outbox(browser, peers):
    with web_server(heartbeat=1.0) as first:
        port = first.port
        page = ChatPage(browser, port).login("alice")
        page.wait_line("Welcome, alice!")
    # The server stopped (its shutdown told the page); typed meanwhile waits.
    wait_until(lambda: "The server stopped" in page.banner(), what="the stopped strip")
    page.type("typed while the server was down")
    assert "waiting to send" in page.find("waiting").text
    with web_server(heartbeat=1.0, port=port) as second:
        bob = peers(second.port)
        bob.login("bob")
        wait_until(lambda: page.state() == "online", timeout=25, what="back after the restart")
        page.wait_line("Reconnected as alice")
        assert expect_msg(bob, "typed while the server was down")["from"] == "alice"


def test_the_page_on_a_phone(browser, chat_server, peers):
    set_viewport(browser, *PHONE, mobile=True)
    bob = peers(chat_server.port)
    bob.login("bob")
    page = ChatPage(browser, chat_server.port).open()
    width = lambda: browser.execute_script("return document.documentElement.scrollWidth")
    assert width() <= PHONE[0]
    page.login("alice")
    assert page.focused_id() == "input"
    assert width() <= PHONE[0]
    # The user list is a panel behind a button that says how many are online.
    users = page.find("users-toggle")
    assert users.is_displayed() and users.text.strip().endswith("2")
    assert not page.find("side").is_displayed()
    users.click()
    assert users.get_attribute("aria-expanded") == "true"
    page.click_user("bob")
    assert not page.find("side").is_displayed()
    assert page.find("recipient").text == "To: bob"
    page.type("from my phone")
    assert expect_msg(bob, "from my phone")["to"] == "bob"
    for element_id in ("input", "send", "recipient", "messages"):
        box = page.find(element_id).rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] + 0.5, element_id
    send = page.find("send").rect
    assert send["height"] >= 36                  # a finger can hit it


def test_the_form_remembers_the_nick_and_language_but_never_the_password(browser, chat_server):
    page = ChatPage(browser, chat_server.port).open()
    page.find("nick").send_keys("Mr.Smith")
    page.find("password").send_keys(chat_server.admin_password, Keys.ENTER)
    wait_until(lambda: page.find("chat-view").is_displayed())
    page.type("-exit")
    wait_until(lambda: page.find("connect-view").is_displayed(), what="back at the form")
    assert "You logged out." in page.find("connect-error").text
    page.open()
    assert page.find("nick").get_attribute("value") == "Mr.Smith"
    assert page.find("password").get_attribute("value") == ""
    stored = browser.execute_script(
        "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
    assert chat_server.admin_password not in stored
    assert page.focused_id() == "password"      # the nick is there: the next field


def test_unread_messages_show_in_the_title_while_the_tab_is_in_the_background(browser, chat_server, peers):
    bob = peers(chat_server.port)
    bob.login("bob")
    page = ChatPage(browser, chat_server.port).login("alice")
    page.wait_line("Welcome, alice!")
    assert browser.title == "ClassChat — alice"
    # Headless Chromium keeps every tab visible and focused, so the page is told as a
    # browser tells it when the reader goes to another tab or window: hasFocus() turns
    # false and the window gets a blur event (then the reverse).
    browser.execute_script("document.hasFocus = () => false; window.dispatchEvent(new Event('blur'))")
    bob.send({"type": "msg", "text": "one"})
    bob.send({"type": "msg", "text": "two", "to": "alice"})
    wait_until(lambda: browser.title == "(2) ClassChat — alice", what=f"the count ({browser.title})")
    browser.execute_script("document.hasFocus = () => true; window.dispatchEvent(new Event('focus'))")
    wait_until(lambda: browser.title == "ClassChat — alice", what="the count cleared")


def test_the_pane_follows_only_a_reader_at_the_bottom(browser, chat_server, peers):
    bob = peers(chat_server.port)
    bob.login("bob")
    page = ChatPage(browser, chat_server.port).login("alice")
    for n in range(30):    # within the test server's burst of 40: none is rate limited
        bob.send({"type": "msg", "text": f"filler {n}"})
    page.wait_line("filler 29")
    at_bottom = "const m = document.getElementById('messages'); return m.scrollHeight - m.scrollTop - m.clientHeight < 40"
    wait_until(lambda: browser.execute_script(at_bottom), what="following")
    browser.execute_script("document.getElementById('messages').scrollTop = 0")
    bob.send({"type": "msg", "text": "while reading up"})
    bob.send({"type": "msg", "text": "and another"})
    page.wait_line("and another")
    jump = page.find("jump")
    wait_until(lambda: jump.is_displayed() and jump.text == "2 new messages ↓", what="the jump button")
    assert browser.execute_script("return document.getElementById('messages').scrollTop") < 50
    jump.click()
    assert browser.execute_script(at_bottom)
    assert not jump.is_displayed()
    assert page.focused_id() == "input"
    # The pane gets 200 px shorter (a strip appears, a phone's keyboard opens): a reader
    # at the bottom still sees the last line.
    browser.execute_script("document.getElementById('messages').style.maxHeight ="
                           " (document.getElementById('messages').clientHeight - 200) + 'px'")
    wait_until(lambda: browser.execute_script(at_bottom), what="still following")


def test_joins_in_a_burst_share_one_line(browser, chat_server, peers):
    page = ChatPage(browser, chat_server.port).login("alice")
    page.wait_line("Welcome, alice!")
    for nick in ("bob", "carol", "dave"):
        peers(chat_server.port).login(nick)
    line = page.wait_line("3 joined: bob, carol, dave")
    assert sum("joined" in shown for shown in page.lines()) == 1, line


def test_the_page_in_russian_from_the_desktop_clients_catalog(browser, chat_server):
    page = ChatPage(browser, chat_server.port).open()
    page.find("language").send_keys("Русский")
    wait_until(lambda: page.find("connect").text == "Подключиться", what="the form in Russian")
    assert page.driver.execute_script("return document.documentElement.lang") == "ru"
    page.find("nick").send_keys("Маша", Keys.ENTER)
    wait_until(lambda: page.find("chat-view").is_displayed())
    assert page.find("send").text == "Отправить"
    assert page.find("recipient").text == "Кому: Все"
    assert page.user_labels()[0] == "Все"
    page.open()
    assert page.find("connect").text == "Подключиться"    # the language is remembered
