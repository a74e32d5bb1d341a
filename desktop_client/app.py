"""The application: one Tk root, the connect dialog, the chat panes, and the pump
that moves network events from the reader thread's queue onto the screen.

Only the Tk thread runs this code. Network threads (net.py) post to `self.events`;
`pump()` drains it with `after()` in bounded batches, so a flood of messages can
never freeze the window.
"""

import logging
import queue
import tkinter
from tkinter import ttk
from typing import Optional

from protocol.events import Error, Login, Logout, Welcome
from desktop_client import config, theme, textsafe
from desktop_client.connect_dialog import ConnectDialog
from desktop_client.net import Connection
from desktop_client.panes import BannerBar, HeaderBar, InputBar, MessagePane, ReasonDialog, UserPane
from desktop_client.presenter import (
    CONNECTING, LOST, OFFLINE, Banner, Presenter, error_line, login_error_text,
)

log = logging.getLogger(__name__)

PUMP_MS = 30          # how often the queue is drained when idle
BATCH = 200           # events per drain; the rest waits for the next round
RETRY_DELAYS = (1, 2, 4, 8, 15, 30)   # seconds between reconnect attempts
LOGOUT_WAIT = 1.0     # seconds the window waits for a clean logout when closed


class ChatApp:
    def __init__(self, root: tkinter.Tk, settings: Optional[config.Settings] = None,
                 remember: bool = True):
        self.root = root
        self.settings = settings or config.load()
        self.remember = remember
        self.fonts = theme.setup(root)
        textsafe.probe(root)
        self.events: queue.Queue = queue.Queue()
        self.presenter = Presenter()
        self.connection: Optional[Connection] = None
        self.password: Optional[str] = None
        self.reason_dialog: Optional[ReasonDialog] = None
        self._in_chat = False
        self._login_refused = False
        self._users_version = -1
        self._retry_index = 0
        self._retry_job = None
        self._retry_at = 0
        self._closed = False

        root.title("ClassChat")
        root.geometry("880x580")
        root.minsize(680, 440)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        root.protocol("WM_DELETE_WINDOW", self.close)
        root.bind("<FocusIn>", lambda e: self._focus_changed())
        root.bind("<FocusOut>", lambda e: self.root.after_idle(self._focus_changed))

        self.dialog = ConnectDialog(root, self.settings, self.connect)
        self.dialog.grid(row=0, column=0, sticky="nsew")
        self._build_chat()
        self.dialog.focus_first_empty()
        self._pump_job = root.after(PUMP_MS, self.pump)

    def _build_chat(self) -> None:
        chat = self.chat = ttk.Frame(self.root)
        chat.columnconfigure(0, weight=1)
        chat.rowconfigure(2, weight=1)
        self.header = HeaderBar(chat)
        self.header.grid(row=0, column=0, sticky="we")
        self.banner = BannerBar(chat, self.reconnect_now)
        self.banner.grid(row=1, column=0, sticky="we")
        self.banner.grid_remove()
        body = ttk.Frame(chat, padding=(12, 12, 12, 12))
        body.grid(row=2, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(0, weight=1)
        self.messages = MessagePane(body, self.fonts)
        self.messages.grid(row=0, column=0, sticky="nsew")
        self.users = UserPane(body, self.fonts, self.pick, self.ask_kick, self.ask_down)
        self.users.grid(row=0, column=1, rowspan=2, sticky="nsew", padx=(12, 0))
        self.input = InputBar(body, self.send_typed)
        self.input.grid(row=1, column=0, sticky="we")
        self.status = ttk.Label(chat, text="", style="Status.TLabel", padding=(14, 0, 14, 6))
        self.status.grid(row=3, column=0, sticky="we")

    # ---- connecting ------------------------------------------------------------------

    def connect(self, host: str, port: int, nick: str, password: Optional[str]) -> None:
        """Start connecting (from the dialog or the command line); never blocks."""
        self.settings = config.Settings(host, port, nick)
        self.password = password
        if not self._in_chat:
            self.dialog.host.set(host)
            self.dialog.port.set(str(port))
            self.dialog.nick.set(nick)
            self.dialog.password.set(password or "")
            self.dialog.set_busy(True)
        self._open_connection()

    def _open_connection(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self._login_refused = False
        self.presenter.connecting()
        self.connection = Connection(self.settings.host, self.settings.port, self.events)
        self.connection.start(Login(self.settings.nick, self.password))

    def reconnect_now(self) -> None:
        self._cancel_retry()
        if self.presenter.me:
            # Keep the spelling the server gave us last time.
            self.settings.nick = self.presenter.me
        self.banner.show("lost", "Connecting again…")
        self.banner.reconnect_button.state(["disabled"])
        self._open_connection()

    def _schedule_retry(self) -> None:
        delay = RETRY_DELAYS[min(self._retry_index, len(RETRY_DELAYS) - 1)]
        self._retry_index += 1
        self._retry_at = delay
        self._countdown()

    def _countdown(self) -> None:
        if self._retry_at <= 0:
            self._retry_job = None
            self.reconnect_now()
            return
        text = self.presenter.banner.text if self.presenter.banner else "Disconnected."
        self.banner.show("lost", f"{text} Trying again in {self._retry_at} s…")
        self.banner.reconnect_button.state(["!disabled"])
        self._retry_at -= 1
        self._retry_job = self.root.after(1000, self._countdown)

    def _cancel_retry(self) -> None:
        if self._retry_job is not None:
            self.root.after_cancel(self._retry_job)
            self._retry_job = None

    # ---- the pump: network events -> screen ---------------------------------------------

    def pump(self) -> None:
        handled = 0
        lines = []
        try:
            while handled < BATCH:
                try:
                    connection, kind, payload = self.events.get_nowait()
                except queue.Empty:
                    break
                handled += 1
                if connection is not self.connection:
                    continue   # a connection we already gave up on
                try:
                    lines.extend(self._network(kind, payload))
                except Exception:   # one odd frame must not stop the conversation
                    log.exception("could not show %r", payload)
                    lines.append(error_line("The server sent something this client "
                                            "cannot show; it was skipped."))
            if lines:
                self.messages.add(lines)
            if handled:
                self.refresh()
        finally:
            if not self._closed:
                more = handled >= BATCH
                self._pump_job = self.root.after(1 if more else PUMP_MS, self.pump)

    def _network(self, kind: str, payload) -> list:
        presenter = self.presenter
        if kind == "event":
            if presenter.state == CONNECTING:
                if isinstance(payload, Welcome):
                    return self._logged_in(payload)
                if isinstance(payload, Error):
                    return self._login_failed(login_error_text(payload), retry=False)
            return presenter.apply(payload)
        if kind == "failed":
            return self._login_failed(payload, retry=True)
        if kind == "closed":
            if presenter.state == CONNECTING:
                if not self._login_refused:
                    self._login_failed("The server closed the connection before the login "
                                       "finished.", retry=True)
                return []
            lines = presenter.connection_lost(payload)
            if presenter.banner and presenter.banner.auto_retry and presenter.state == LOST:
                self._schedule_retry()
            return lines
        return []

    def _logged_in(self, welcome: Welcome) -> list:
        lines = self.presenter.apply(welcome)
        self._retry_index = 0
        self._cancel_retry()
        if self.remember:
            config.save(config.Settings(self.settings.host, self.settings.port, welcome.nick))
        if not self._in_chat:
            self._in_chat = True
            self.dialog.grid_remove()
            self.chat.grid(row=0, column=0, sticky="nsew")
        self.input.set_enabled(True)
        self.input.entry.focus_set()
        return lines

    def _login_failed(self, text: str, retry: bool) -> list:
        self._login_refused = True
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if not self._in_chat:
            self.presenter.state = OFFLINE
            self.dialog.show_error(text)
            self.dialog.focus_first_empty()
            return []
        # A reconnect attempt failed: keep trying while the server is simply not there;
        # a refused login (say, the nick was taken meanwhile) waits for the student.
        self.presenter.state = LOST
        if retry:
            self.presenter.banner = Banner(LOST, text, auto_retry=True)
            self._schedule_retry()
        else:
            self.presenter.banner = Banner(LOST, f"Could not log in again: {text}",
                                           auto_retry=False)
            self.banner.show("lost", self.presenter.banner.text)
            self.banner.reconnect_button.state(["!disabled"])
        return []

    # ---- what the student does ----------------------------------------------------------

    def send_typed(self, raw: str) -> bool:
        """Enter in the input box. Returns True when the box should be emptied."""
        if not self.presenter.online:
            return False
        result = self.presenter.read_input(raw)
        if result.lines:
            self.messages.add(result.lines)
        if result.command is not None:
            self.connection.send(result.command)
        if result.quit:
            self.root.after(50, self.close)
        return result.clear

    def pick(self, nick: Optional[str]) -> None:
        self.presenter.select_recipient(nick)
        self.refresh()
        if self._in_chat and self.presenter.online:
            self.input.entry.focus_set()

    def ask_kick(self) -> None:
        nick = self.presenter.recipient
        if not (self.presenter.admin and nick):
            return
        self.reason_dialog = ReasonDialog(
            self.root, "Remove user", f"Remove {nick} from the chat?", "Remove",
            lambda reason: self._send(self.presenter.kick_command(nick, reason)))

    def ask_down(self) -> None:
        if not self.presenter.admin:
            return
        self.reason_dialog = ReasonDialog(
            self.root, "Shut down server",
            "Shut the chat server down for everyone? All students will be disconnected.",
            "Shut down", lambda reason: self._send(self.presenter.down_command(reason)))

    def _send(self, command) -> None:
        if self.connection is not None and self.presenter.online:
            self.connection.send(command)

    def _focus_changed(self) -> None:
        if self._closed:
            return
        try:
            focused = self.root.focus_displayof() is not None
        except (KeyError, tkinter.TclError):
            focused = False
        if focused != self.presenter.focused:
            self.presenter.set_focused(focused)
            self.refresh()

    # ---- drawing state ----------------------------------------------------------------------

    def refresh(self) -> None:
        p = self.presenter
        self.root.title(p.title())
        if not self._in_chat:
            return
        if (p.users_version, p.online) != self._users_version:
            self._users_version = (p.users_version, p.online)
            self.users.show_users(p.user_rows(), p.recipient, len(p.users), p.online)
        else:
            self.users.select(p.recipient)
        self.users.show_admin(p.admin, p.recipient is not None, p.online)
        self.input.show_recipient(p.recipient_label(), p.recipient is not None)
        self.input.set_enabled(p.online)
        where = f"{self.settings.host}:{self.settings.port}"
        if p.online:
            role = " · admin" if p.admin else ""
            self.header.show(f"ClassChat — {p.me}", f"{len(p.users)} online{role}")
            self.status.configure(text=f"Connected to {where} · {p.server_name}")
        else:
            self.header.show(f"ClassChat — {p.me}", "offline")
            self.status.configure(text=f"Not connected ({where})")
        if p.banner and p.online is False:
            if self._retry_job is None and p.state != CONNECTING:
                self.banner.show(p.banner.kind, p.banner.text)
                self.banner.reconnect_button.state(["!disabled"])
        elif p.online:
            self.banner.grid_remove()

    # ---- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Log out cleanly (bounded wait), then destroy the window."""
        if self._closed:
            return
        self._closed = True
        self._cancel_retry()
        connection, self.connection = self.connection, None
        if connection is not None:
            if self.presenter.online:
                connection.send(Logout())
                connection.close(flush_timeout=LOGOUT_WAIT)
            else:
                connection.close()
        try:
            self.root.after_cancel(self._pump_job)
        except (tkinter.TclError, ValueError):
            pass
        self.root.destroy()
