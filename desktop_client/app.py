"""The application: one Tk root, the connect dialog, the chat panes, and the pump
that moves network events from the reader thread's queue onto the screen.

Only the Tk thread runs this code. Network threads (net.py) post to `self.events`;
`pump()` drains it with `after()` in bounded batches, so a flood of messages can
never freeze the window.
"""

import logging
import math
import queue
import time
import tkinter
from tkinter import ttk
from typing import Optional

from protocol.events import Logout
from protocol.text_codec import clock
from desktop_client import config, i18n, theme, textsafe
from desktop_client.connect_dialog import ConnectDialog
from desktop_client.i18n import _
from desktop_client.lifecycle import RETRYING, Phase
from desktop_client.net import Connection
from desktop_client.panes import (
    BannerBar, BansDialog, HeaderBar, InputBar, MessagePane, PasswordDialog, ReasonDialog,
    SlowDialog, UserPane,
)
from desktop_client.presenter import (
    DEFAULT_KICK_MINUTES, REFUSED, AskPassword, CloseLink, DialogError, Presenter, Restore,
    Retry, Send, SendLater, ShowBans, error_line,
)

log = logging.getLogger(__name__)

PUMP_MS = 30          # how often the queue is drained when idle
BATCH = 200           # events per drain; the rest waits for the next round
TICK_MS = 200         # the heartbeat's and the retry countdown's clock
EVENT_QUEUE_MAX = 2000   # events read but not yet shown; the reader waits when it is full
LOGOUT_WAIT = 1.0     # seconds the window waits for a clean logout when closed


class ChatApp:
    def __init__(self, root: tkinter.Tk, settings: Optional[config.Settings] = None,
                 remember: bool = True):
        self.root = root
        self.settings = settings or config.load()
        self.remember = remember
        i18n.set_language(self.settings.lang or i18n.system_language())
        self.fonts = theme.setup(root)
        textsafe.probe(root)
        # Bounded: when the window falls behind, the reader stops reading, the server's
        # output limit takes over, and memory here stays flat (back-pressure).
        self.events: queue.Queue = queue.Queue(EVENT_QUEUE_MAX)
        self.presenter = Presenter()
        self.connection: Optional[Connection] = None
        self.reason_dialog: Optional[ReasonDialog] = None
        self.slow_dialog: Optional[SlowDialog] = None
        self.bans_dialog: Optional[BansDialog] = None
        self.password_dialog: Optional[PasswordDialog] = None
        self.user_menu: Optional[tkinter.Menu] = None
        self._in_chat = False
        self._users_state = None
        self._retry_at: Optional[float] = None    # monotonic time of the next attempt
        self._closed = False

        root.title("ClassChat")
        root.geometry("880x580")
        root.minsize(680, 440)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        root.protocol("WM_DELETE_WINDOW", self.close)
        root.bind("<FocusIn>", lambda e: self._focus_changed())
        root.bind("<FocusOut>", lambda e: self.root.after_idle(self._focus_changed))

        self._build()
        self.dialog.focus_first_empty()
        self._pump_job = root.after(PUMP_MS, self.pump)
        self._tick_job = root.after(TICK_MS, self.tick)

    @property
    def password(self) -> Optional[str]:
        return self.presenter.password

    def _build(self) -> None:
        self.dialog = ConnectDialog(self.root, self.settings, self.connect,
                                    on_language=self.set_language)
        self.dialog.grid(row=0, column=0, sticky="nsew")
        self._build_chat()

    def set_language(self, code: str) -> None:
        """The dialog's language menu: everything is built again in that language."""
        if self._in_chat:
            return
        typed = self.dialog.typed()
        self.settings.lang = i18n.set_language(code)
        self.dialog.destroy()
        self.chat.destroy()
        self._build()
        self.dialog.fill(*typed)
        self.dialog.focus_first_empty()

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
        self.messages = MessagePane(body, self.fonts, on_action=self.run_action)
        self.messages.grid(row=0, column=0, sticky="nsew")
        self.users = UserPane(body, self.fonts, self.pick, self.ask_kick, self.ask_down,
                              on_menu=self.show_user_menu, on_mute_class=self.toggle_class_mute,
                              on_slow=self.ask_slow, on_bans=self.ask_bans,
                              rows=self.presenter.user_rows)
        self.users.grid(row=0, column=1, rowspan=3, sticky="nsew", padx=(12, 0))
        self.room = ttk.Label(body, text="", style="Room.TLabel", padding=(0, 6, 0, 0))
        self.room.grid(row=1, column=0, sticky="w")
        self.room.grid_remove()
        self.input = InputBar(body, self.fonts, self.send_typed)
        self.input.grid(row=2, column=0, sticky="we")
        self.status = ttk.Label(chat, text="", style="Status.TLabel", padding=(14, 0, 14, 6))
        self.status.grid(row=3, column=0, sticky="we")

    # ---- connecting ------------------------------------------------------------------

    def connect(self, host: str, port: int, nick: str, password: Optional[str]) -> None:
        """Start connecting (from the dialog or the command line); never blocks."""
        self.settings = config.Settings(host, port, nick, i18n.language())
        if not self._in_chat:
            self.dialog.fill(host, str(port), nick, password or "")
            self.dialog.set_busy(True)
        self._open_connection(self.presenter.connecting(nick, password))

    def _open_connection(self, login) -> None:
        self._drop_connection()
        self.connection = Connection(self.settings.host, self.settings.port, self.events)
        self.connection.start(login)

    def _drop_connection(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()

    def reconnect_now(self) -> None:
        """The Reconnect button, or the end of a countdown."""
        p = self.presenter
        if p.state not in RETRYING and p.state != REFUSED:
            return
        self._retry_at = None
        self.banner.show(p.banner.kind if p.banner else "lost",
                         p.banner.says() if p.banner else _("Connecting again…"),
                         p.banner.can_reconnect if p.banner else True, reconnect_enabled=False)
        self._open_connection(p.attempt())

    def _schedule_retry(self, seconds: float) -> None:
        self._retry_at = time.monotonic() + seconds
        self._show_countdown()

    def _show_countdown(self) -> None:
        p = self.presenter
        if self._retry_at is None or not p.banner:
            return
        left = max(1, math.ceil(self._retry_at - time.monotonic()))
        self.banner.show(p.banner.kind, p.banner.says(left), p.banner.can_reconnect)

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
                    lines.append(error_line(_("The server sent something this app "
                                              "cannot show; it was skipped.")))
                lines.extend(self._carry_out(self.presenter.effects()))
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
            presenter.heard()
            return presenter.apply(payload)
        if kind in ("failed", "closed"):
            self.connection = None
            return presenter.link_ended(payload or "")
        return []

    def tick(self) -> None:
        """The heartbeat (ping, or give up on a silent link) and the retry countdown."""
        if self._closed:
            return
        try:
            lines = self.presenter.tick()
            lines += self._carry_out(self.presenter.effects())
            if lines:
                self.messages.add(lines)
            if self._retry_at is not None:
                if time.monotonic() >= self._retry_at:
                    self.reconnect_now()
                else:
                    self._show_countdown()
            if lines or self.presenter.state != Phase.ONLINE:
                self.refresh()
        finally:
            if not self._closed:
                self._tick_job = self.root.after(TICK_MS, self.tick)

    def _carry_out(self, effects) -> list:
        """Do what the presenter decided. Returns lines to show."""
        lines = []
        for effect in effects:
            if isinstance(effect, Send):
                self._send(effect.command)
            elif isinstance(effect, SendLater):
                self.root.after(int(effect.seconds * 1000), self._resend, effect.cid)
            elif isinstance(effect, Restore):
                self.input.restore(effect.text)
            elif isinstance(effect, CloseLink):
                self._drop_connection()
            elif isinstance(effect, Retry):
                self._schedule_retry(effect.seconds)
            elif isinstance(effect, DialogError):
                self._back_to_dialog(effect.text)
            elif isinstance(effect, AskPassword):
                self.ask_password(effect.text)
            elif isinstance(effect, ShowBans):
                if self.bans_dialog is not None and self.bans_dialog.winfo_exists():
                    self.bans_dialog.show(effect.bans)
        return lines

    def _resend(self, cid: str) -> None:
        if not self._closed:
            self._carry_out(self.presenter.resend(cid))

    def run_action(self, action: str) -> None:
        """A click on Retry or Undo in the conversation."""
        lines = self.presenter.run_action(action)
        lines += self._carry_out(self.presenter.effects())
        self.messages.add(lines)
        self.refresh()

    def _back_to_dialog(self, text: str) -> None:
        self._drop_connection()
        self.dialog.show_error(text)
        self.dialog.focus_first_empty()

    def ask_password(self, text: str) -> None:
        if self.password_dialog is not None and self.password_dialog.winfo_exists():
            self.password_dialog.destroy()
        self.password_dialog = PasswordDialog(
            self.root, text, on_retry=lambda pw: self._retry_login(pw or None),
            on_student=lambda: self._retry_login(None), on_quit=self.close)

    def _retry_login(self, password: Optional[str]) -> None:
        self._retry_at = None
        self._open_connection(self.presenter.retry_with(password))
        self.refresh()

    # ---- what the student does ----------------------------------------------------------

    def send_typed(self, raw: str) -> bool:
        """Enter in the input box. Returns True when the box should be emptied."""
        if not self.presenter.can_type:
            return False
        result = self.presenter.read_input(raw)
        if result.lines:
            self.messages.add(result.lines)
        if result.command is not None:
            self._send(result.command)
        self._carry_out(self.presenter.effects())
        if result.quit:
            self.root.after(50, self.close)
        self.refresh()
        return result.clear

    def pick(self, nick: Optional[str]) -> None:
        self.presenter.select_recipient(nick)
        self.refresh()
        if self._in_chat and self.presenter.can_type:
            self.input.focus()

    # ---- the teacher's order ---------------------------------------------------------------

    def show_user_menu(self, nick: Optional[str], x: int, y: int) -> None:
        menu = self.build_user_menu(nick)
        if menu is not None:
            menu.tk_popup(x, y)

    def build_user_menu(self, nick: Optional[str]) -> Optional[tkinter.Menu]:
        """The admin's right-click menu for `nick` (None: the class only)."""
        p = self.presenter
        if not (p.admin and p.online):
            return None
        if self.user_menu is not None:
            self.user_menu.destroy()
        menu = self.user_menu = tkinter.Menu(self.root, tearoff=False)
        if nick is not None and not p.is_me(nick):
            muted = p.is_muted(nick)
            menu.add_command(label=_("Kick {nick}…").format(nick=nick),
                             command=lambda: self.ask_kick(nick))
            menu.add_command(label=(_("Unmute {nick}") if muted else _("Mute {nick}")).format(
                nick=nick), command=lambda: self._send(p.mute_command(nick, not muted)))
            menu.add_separator()
        menu.add_command(label=_("Unmute the class") if p.muted_all else _("Mute the class"),
                         command=self.toggle_class_mute)
        menu.add_command(label=_("Slow mode…"), command=self.ask_slow)
        menu.add_command(label=_("Bans…"), command=self.ask_bans)
        return menu

    def menu_labels(self) -> list:
        menu = self.user_menu
        if menu is None:
            return []
        return [menu.entrycget(i, "label") if menu.type(i) == "command" else "—"
                for i in range(menu.index("end") + 1)]

    def ask_kick(self, nick: Optional[str] = None) -> None:
        nick = nick or self.presenter.recipient
        if not (self.presenter.admin and nick):
            return
        self.reason_dialog = ReasonDialog(
            self.root, _("Remove user"), _("Remove {nick} from the chat?").format(nick=nick),
            _("Remove"),
            lambda reason, minutes: self._send(
                self.presenter.kick_command(nick, reason, minutes)),
            minutes=DEFAULT_KICK_MINUTES)

    def ask_down(self) -> None:
        if not self.presenter.admin:
            return
        self.reason_dialog = ReasonDialog(
            self.root, _("Shut down server"),
            _("Shut the chat server down for everyone? All students will be disconnected."),
            _("Shut down"), lambda reason: self._send(self.presenter.down_command(reason)))

    def toggle_class_mute(self) -> None:
        if self.presenter.admin:
            self._send(self.presenter.class_mute_command())

    def ask_slow(self) -> None:
        if self.presenter.admin:
            self.slow_dialog = SlowDialog(
                self.root, self.presenter.slow,
                lambda seconds: self._send(self.presenter.slow_command(seconds)))

    def ask_bans(self) -> None:
        if not self.presenter.admin:
            return
        if self.bans_dialog is None or not self.bans_dialog.winfo_exists():
            self.bans_dialog = BansDialog(self.root, self._lift_ban, describe_ban)
        self._send(self.presenter.bans_command())

    def _lift_ban(self, ban) -> None:
        self._send(self.presenter.unban_command(ban))
        self._send(self.presenter.bans_command())

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
        if p.online and not self._in_chat:
            self._enter_chat()
        if not self._in_chat:
            return
        ops = p.take_user_ops()
        if ops or (p.user_count, p.online) != self._users_state:
            self._users_state = (p.user_count, p.online)
            self.users.show_users(ops, p.recipient, p.user_count, p.online)
        else:
            self.users.select(p.recipient)
        self.users.show_admin(p.admin, p.recipient is not None, p.online, p.muted_all)
        self.input.show_recipient(p.recipient_label(), p.recipient is not None)
        self.input.show_hint(p.input_hint())
        self.input.set_enabled(p.can_type)
        self.input.show_note(p.waiting_note())
        room = p.room_line() if p.online else ""
        self.room.configure(text=room)
        (self.room.grid if room else self.room.grid_remove)()
        where = f"{self.settings.host}:{self.settings.port}"
        self.header.show(f"ClassChat — {p.me}", p.header_info())
        self.status.configure(text=p.status_text(where))
        if p.banner and not p.online:
            if self._retry_at is None:
                self.banner.show(p.banner.kind, p.banner.says(), p.banner.can_reconnect,
                                 reconnect_enabled=self.connection is None)
        elif p.online:
            self.banner.hide()

    def _enter_chat(self) -> None:
        self._in_chat = True
        if self.remember:
            config.save(config.Settings(self.settings.host, self.settings.port,
                                        self.presenter.me, self.settings.lang))
        self.dialog.grid_remove()
        self.chat.grid(row=0, column=0, sticky="nsew")
        self.input.set_enabled(True)
        self.input.focus()

    # ---- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Log out cleanly (bounded wait), then destroy the window."""
        if self._closed:
            return
        self._closed = True
        self._retry_at = None
        was_online = self.presenter.online
        if self.presenter.state != Phase.LOGGED_OUT:
            self.presenter.life.move(Phase.LOGGED_OUT)
        connection, self.connection = self.connection, None
        if connection is not None:
            if was_online:
                connection.send(Logout())
                connection.close(flush_timeout=LOGOUT_WAIT)
            else:
                connection.close()
        for job in (self._pump_job, self._tick_job):
            try:
                self.root.after_cancel(job)
            except (tkinter.TclError, ValueError):
                pass
        self.root.destroy()


def describe_ban(ban) -> str:
    who = " ".join(part for part in (ban.nick, f"({ban.ip})" if ban.ip else None) if part)
    text = _("{who} until {time}, by {admin}").format(who=who or "?", time=clock(ban.until),
                                                     admin=ban.by)
    return text + (f": {ban.reason}" if ban.reason else "")
