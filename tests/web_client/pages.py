"""Driving the page as a student does: type in the form, click names, press Enter."""

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.web_client.conftest import wait_until


class ChatPage:
    def __init__(self, driver, port, host="127.0.0.1"):
        self.driver = driver
        self.url = f"http://{host}:{port}/"

    def open(self):
        self.driver.get(self.url)
        wait_until(lambda: self.find("language").get_attribute("value"), what="the form ready")
        return self

    def find(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def login(self, nick, password=""):
        self.open()
        field = self.find("nick")
        field.clear()
        field.send_keys(nick)
        if password:
            self.find("password").send_keys(password)
        self.find("password").send_keys(Keys.ENTER)
        wait_until(lambda: self.find("chat-view").is_displayed(), what=f"{nick} logged in")
        return self

    def type(self, text, enter=True):
        box = self.find("input")
        box.send_keys(text)
        if enter:
            box.send_keys(Keys.ENTER)

    def lines(self):
        # One snapshot in the page: lines are replaced in place (pending -> ✓) meanwhile.
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#messages li')].map((li) => li.innerText)")

    def wait_line(self, fragment, timeout=8.0):
        return wait_until(lambda: next((line for line in self.lines() if fragment in line), None),
                          timeout, what=f"a line with {fragment!r} (lines: {self.lines()[-6:]})")

    def user_buttons(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "#users button")

    def user_labels(self):
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#users button')]"
            ".map((b) => b.innerText.replace(/\\s+/g, ' ').trim())")

    def click_user(self, nick):
        for button in self.user_buttons():
            if button.get_attribute("data-nick") == nick:
                button.click()
                return
        raise AssertionError(f"no {nick} in {self.user_labels()}")

    def focused_id(self):
        return self.driver.execute_script("return document.activeElement && document.activeElement.id")

    def state(self):
        return self.driver.execute_script("return window.classchat.presenter && window.classchat.presenter.state")

    def banner(self):
        banner = self.find("banner")
        return banner.text if banner.is_displayed() else ""
