"""The chat window's panes: one class each, built with ttk and grid.

They only draw what the presenter decided; none of them talks to the network.
"""

import math
import tkinter
from tkinter import ttk
from typing import Callable, Optional

from desktop_client import theme
from desktop_client.presenter import NICK_COLOURS
from desktop_client.textsafe import tk_safe

MAX_PANE_LINES = 5000   # older lines are dropped so a long lesson stays fast
BADGE_SIZE = 14         # the admin star in the user list, in pixels
BADGE_GAP = 4           # between the star and the name


def star_image(master, size: int = BADGE_SIZE, colour: str = theme.ADMIN_FG,
               background: str = theme.PANE_BG) -> tkinter.PhotoImage:
    """A small five-pointed star, smoothed by 4x4 supersampling against `background`;
    with colour None, a fully transparent image of the same size (keeps rows aligned).
    The image has BADGE_GAP transparent columns on the right, before the name."""
    image = tkinter.PhotoImage(master=master, width=size + BADGE_GAP, height=size)
    if colour is None:
        return image
    centre, outer, inner = (size - 1) / 2, size / 2 - 0.2, size / 4.6
    points = [(centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
               centre + 0.6 - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5))
              for i in range(10)]

    def inside(x: float, y: float) -> bool:
        hit = False
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
        return hit

    fg = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    bg = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    for y in range(size):
        for x in range(size):
            cover = sum(inside(x + (i + 0.5) / 4, y + (j + 0.5) / 4)
                        for i in range(4) for j in range(4)) / 16
            if cover:
                rgb = (round(f * cover + b * (1 - cover)) for f, b in zip(fg, bg))
                image.put("#%02x%02x%02x" % tuple(rgb), (x, y))
    return image


class HeaderBar(ttk.Frame):
    def __init__(self, master):
        super().__init__(master, style="Header.TFrame", padding=(14, 8))
        self.columnconfigure(1, weight=1)
        self.title = ttk.Label(self, text="ClassChat", style="Header.TLabel")
        self.title.grid(row=0, column=0, sticky="w")
        self.info = ttk.Label(self, text="", style="HeaderInfo.TLabel")
        self.info.grid(row=0, column=1, sticky="e")

    def show(self, title: str, info: str) -> None:
        self.title.configure(text=tk_safe(title, False))
        self.info.configure(text=tk_safe(info, False))


class BannerBar(ttk.Frame):
    """Shown when the server went down or the connection ended; offers Reconnect."""

    def __init__(self, master, on_reconnect: Callable):
        super().__init__(master, padding=(14, 8), style="lost.Banner.TFrame")
        self.columnconfigure(0, weight=1)
        self.label = ttk.Label(self, text="", style="lost.Banner.TLabel", wraplength=520)
        self.label.grid(row=0, column=0, sticky="w")
        self.reconnect_button = ttk.Button(self, text="Reconnect", command=on_reconnect)
        self.reconnect_button.grid(row=0, column=1, sticky="e", padx=(10, 0))
        self.kind = None

    def show(self, kind: str, text: str, can_reconnect: bool = True) -> None:
        self.kind = kind
        self.configure(style=f"{kind}.Banner.TFrame")
        self.label.configure(text=tk_safe(text), style=f"{kind}.Banner.TLabel")
        if can_reconnect:
            self.reconnect_button.grid()
        else:
            self.reconnect_button.grid_remove()
        self.grid()

    def text(self) -> str:
        return str(self.label.cget("text"))


class MessagePane(ttk.Frame):
    """The conversation: a read-only Text with a tag per style."""

    def __init__(self, master, fonts):
        super().__init__(master)
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.text = tkinter.Text(
            self, wrap="word", state="disabled", font=fonts.chat, background=theme.PANE_BG,
            foreground=theme.TEXT, relief="flat", borderwidth=0, highlightthickness=1,
            highlightbackground=theme.BORDER, highlightcolor=theme.BORDER,
            padx=12, pady=10, spacing1=3, spacing3=3, cursor="arrow", takefocus=False,
            insertwidth=0, selectbackground="#cfdcf7", inactiveselectbackground="#cfdcf7",
            width=30, height=10)
        self.text.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        self.text.configure(yscrollcommand=scroll.set)
        self._tags(fonts)

    def _tags(self, fonts) -> None:
        # Creation order is priority order: later tags win where they overlap.
        indent = fonts.small.measure("00:00  ") + 2
        t = self.text
        t.tag_configure("public", lmargin2=indent)
        t.tag_configure("private", background=theme.PRIVATE_BG, lmargin2=indent)
        t.tag_configure("own", background=theme.OWN_BG)
        t.tag_configure("private_own", background=theme.PRIVATE_BG)
        t.tag_configure("earlier", foreground=theme.MUTED)
        t.tag_configure("time", foreground="#98a0ab", font=fonts.small)
        t.tag_configure("nick", font=fonts.chat_bold)
        for index, colour in enumerate(theme.NICK_COLOURS[:NICK_COLOURS]):
            t.tag_configure(f"nick{index}", foreground=colour)
        t.tag_configure("arrow", foreground=theme.MUTED)
        t.tag_configure("badge", foreground=theme.PRIVATE_FG, font=fonts.italic)
        t.tag_configure("notice", foreground=theme.MUTED, font=fonts.italic, lmargin1=4)
        t.tag_configure("error", foreground=theme.ERROR_FG, font=fonts.bold, lmargin1=4)
        t.tag_configure("separator", foreground="#98a0ab", font=fonts.small, justify="center",
                        spacing1=8, spacing3=6)

    def add(self, lines) -> None:
        if not lines:
            return
        t = self.text
        at_bottom = t.yview()[1] >= 0.999
        t.configure(state="normal")
        for line in lines:
            line_tags = line.line_tags()
            if line.kind == "private" and line.own:
                line_tags = tuple(tag for tag in line_tags if tag != "own") + ("private_own",)
            if line.kind == "separator":
                parts = [(f"──────  {line.text}  ──────", ("separator",))]
            else:
                parts = line.parts
            for part, tags in parts:
                t.insert("end", part, tags + line_tags)
            t.insert("end", "\n", line_tags)
        excess = int(t.index("end-1c").split(".")[0]) - MAX_PANE_LINES
        if excess > 0:
            t.delete("1.0", f"{excess + 1}.0")
        t.configure(state="disabled")
        if at_bottom:
            t.see("end")

    def content(self) -> str:
        return self.text.get("1.0", "end-1c")


class UserPane(ttk.Frame):
    """Everyone, then who is online. Clicking a row picks the recipient."""

    def __init__(self, master, fonts, on_pick: Callable, on_kick: Callable,
                 on_down: Callable, on_menu: Optional[Callable] = None,
                 on_mute_class: Optional[Callable] = None, on_slow: Optional[Callable] = None,
                 on_bans: Optional[Callable] = None):
        super().__init__(master, padding=(0, 0, 0, 0))
        self.on_pick = on_pick
        self.on_menu = on_menu
        self.columnconfigure(0, weight=1)
        self.rowconfigure(1, weight=1)
        self.heading = ttk.Label(self, text="ONLINE", style="Side.TLabel")
        self.heading.grid(row=0, column=0, sticky="w", pady=(0, 4))
        self.tree = ttk.Treeview(self, show="tree", selectmode="browse", takefocus=False,
                                 height=10)
        self.tree.column("#0", width=200, minwidth=120, stretch=True)
        self.tree.grid(row=1, column=0, sticky="nsew")
        self.tree.tag_configure("everyone", font=fonts.bold, foreground=theme.ACCENT)
        self.tree.tag_configure("me", font=fonts.bold)
        for index, colour in enumerate(theme.NICK_COLOURS[:NICK_COLOURS]):
            self.tree.tag_configure(f"nick{index}", foreground=colour)
        self.tree.bind("<<TreeviewSelect>>", self._selected)
        self.tree.bind("<Button-3>", self._context)
        self.tree.tag_configure("muted", foreground=theme.MUTED)
        self._nicks: dict[str, Optional[str]] = {}
        # Admins get a star before their name; everyone else an empty image of the
        # same size, so names stay in one column.
        self.admin_badge = star_image(self)
        self.no_badge = star_image(self, colour=None)

        self.admin_box = ttk.Frame(self, padding=(0, 10, 0, 0))
        self.admin_box.columnconfigure(0, weight=1)
        ttk.Label(self.admin_box, text="ADMIN", style="Side.TLabel").grid(
            row=0, column=0, sticky="w", pady=(0, 4))
        self.kick_button = ttk.Button(self.admin_box, text="Remove user…",
                                      style="Danger.TButton", command=on_kick)
        self.kick_button.grid(row=1, column=0, sticky="we")
        self.mute_class_button = ttk.Button(self.admin_box, text="Mute the class",
                                            command=on_mute_class)
        self.mute_class_button.grid(row=2, column=0, sticky="we", pady=(4, 0))
        order = ttk.Frame(self.admin_box)
        order.grid(row=3, column=0, sticky="we", pady=(4, 0))
        order.columnconfigure((0, 1), weight=1, uniform="order")
        self.slow_button = ttk.Button(order, text="Slow mode…", command=on_slow)
        self.slow_button.grid(row=0, column=0, sticky="we", padx=(0, 2))
        self.bans_button = ttk.Button(order, text="Bans…", command=on_bans)
        self.bans_button.grid(row=0, column=1, sticky="we", padx=(2, 0))
        self.down_button = ttk.Button(self.admin_box, text="Shut down server…",
                                      style="Danger.TButton", command=on_down)
        self.down_button.grid(row=4, column=0, sticky="we", pady=(4, 0))
        self.admin_box.grid(row=2, column=0, sticky="we")
        self.admin_box.grid_remove()

    def show_users(self, rows, recipient: Optional[str], count: int, online: bool) -> None:
        self.tree.delete(*self.tree.get_children())
        self._nicks = {}
        for index, (nick, label, tags) in enumerate(rows):
            iid = "everyone" if nick is None else f"u{index}"
            self._nicks[iid] = nick
            options = {}
            if nick is not None:
                options["image"] = self.admin_badge if "admin" in tags else self.no_badge
            self.tree.insert("", "end", iid=iid, text=label, tags=tags, **options)
        self.heading.configure(text=f"ONLINE · {count}" if online else "OFFLINE")
        self.select(recipient)

    def iid_of(self, nick: Optional[str]) -> Optional[str]:
        for iid, known in self._nicks.items():
            if known == nick:
                return iid
        return None

    def select(self, nick: Optional[str]) -> None:
        iid = self.iid_of(nick) or "everyone"
        if iid in self._nicks and tuple(self.tree.selection()) != (iid,):
            self.tree.selection_set(iid)

    def _selected(self, event=None) -> None:
        selection = self.tree.selection()
        if selection and selection[0] in self._nicks:
            self.on_pick(self._nicks[selection[0]])

    def _context(self, event) -> None:
        """Right click: pick the row under the pointer, then offer the admin's menu."""
        iid = self.tree.identify_row(event.y)
        if iid and iid in self._nicks:
            self.tree.selection_set(iid)
            self._selected()
        if self.on_menu is not None:
            self.on_menu(self._nicks.get(iid) if iid else None, event.x_root, event.y_root)

    def show_admin(self, admin: bool, can_kick: bool, online: bool,
                   class_muted: bool = False) -> None:
        if admin:
            self.admin_box.grid()
        else:
            self.admin_box.grid_remove()
        self.kick_button.state(["!disabled"] if can_kick and online else ["disabled"])
        self.mute_class_button.configure(
            text="Unmute the class" if class_muted else "Mute the class")
        for button in (self.down_button, self.mute_class_button, self.slow_button,
                       self.bans_button):
            button.state(["!disabled"] if online else ["disabled"])


class InputBar(ttk.Frame):
    """`To: Everyone` beside the input box and the Send button."""

    def __init__(self, master, on_send: Callable):
        super().__init__(master, padding=(0, 10, 0, 0))
        self.on_send = on_send
        self.columnconfigure(1, weight=1)
        self.recipient = ttk.Label(self, text="To: Everyone", style="Recipient.TLabel")
        self.recipient.grid(row=0, column=0, sticky="ns", padx=(0, 8))
        self.entry = ttk.Entry(self, width=12)   # grows with the window; small when it is
        self.entry.grid(row=0, column=1, sticky="we")
        self.send_button = ttk.Button(self, text="Send", style="Accent.TButton", width=8,
                                      command=self.send)
        self.send_button.grid(row=0, column=2, padx=(8, 0))
        self.entry.bind("<Return>", self.send)
        self.entry.bind("<KP_Enter>", self.send)
        self.note = ttk.Label(self, text="", style="Waiting.TLabel")
        self.note.grid(row=1, column=1, sticky="w")
        self.note.grid_remove()
        self.hint = ""          # shown in the disabled box instead of text (muted)

    def send(self, event=None):
        if self.hint:
            return "break"
        if self.on_send(self.entry.get()):
            self.entry.delete(0, "end")
        return "break"

    def text(self) -> str:
        return "" if self.hint else self.entry.get()

    def restore(self, text: str) -> None:
        """A refused message comes back, unless something new was typed meanwhile."""
        if not self.text().strip():
            self.entry.delete(0, "end")
            self.entry.insert(0, text)

    def show_hint(self, hint: str) -> None:
        """Muted: the box is disabled and says why; what was typed comes back after."""
        if hint == self.hint:
            return
        if hint and not self.hint:
            self._kept = self.entry.get()
        self.entry.state(["!disabled"])
        self.entry.delete(0, "end")
        self.entry.insert(0, hint or getattr(self, "_kept", ""))
        self.hint = hint

    def show_note(self, note: str) -> None:
        if note:
            self.note.configure(text=note)
            self.note.grid()
        else:
            self.note.grid_remove()

    def show_recipient(self, label: str, private: bool) -> None:
        style = "Private.Recipient.TLabel" if private else "Recipient.TLabel"
        self.recipient.configure(text=label, style=style)

    def set_enabled(self, enabled: bool) -> None:
        flag = ["!disabled"] if enabled and not self.hint else ["disabled"]
        self.entry.state(flag)
        self.send_button.state(flag)


class ReasonDialog(tkinter.Toplevel):
    """Confirm an admin action and ask for an optional reason. Not modal-blocking:
    `on_ok(reason)` runs when the admin confirms."""

    def __init__(self, master, title: str, question: str, action: str, on_ok: Callable,
                 minutes: Optional[int] = None):
        # A thin border: where no window manager draws a frame it still stands out.
        super().__init__(master, background=theme.WINDOW_BG, highlightthickness=1,
                         highlightbackground="#9aa3b2", highlightcolor="#9aa3b2")
        self.withdraw()
        self.title(tk_safe(title, False))
        self.transient(master)
        self.resizable(False, False)
        self.on_ok = on_ok
        self.reason = tkinter.StringVar(self)
        body = ttk.Frame(self, padding=18)
        body.grid(sticky="nsew")
        body.columnconfigure(0, weight=1)
        ttk.Label(body, text=tk_safe(question), font=("TkHeadingFont"), wraplength=340).grid(
            row=0, column=0, columnspan=2, sticky="w")
        ttk.Label(body, text="Reason (optional, everyone sees it):").grid(
            row=1, column=0, columnspan=2, sticky="w", pady=(12, 2))
        self.entry = ttk.Entry(body, textvariable=self.reason, width=40)
        self.entry.grid(row=2, column=0, columnspan=2, sticky="we")
        self.minutes = None
        if minutes is not None:
            self.minutes = tkinter.StringVar(self, str(minutes))
            ttk.Label(body, text="Keep them out for (minutes, 0: not at all):").grid(
                row=3, column=0, sticky="w", pady=(10, 0))
            self.minutes_box = ttk.Spinbox(body, from_=0, to=1440, width=6,
                                           textvariable=self.minutes)
            self.minutes_box.grid(row=3, column=1, sticky="e", pady=(10, 0))
        buttons = ttk.Frame(body, padding=(0, 14, 0, 0))
        buttons.grid(row=4, column=0, columnspan=2, sticky="e")
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.destroy)
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.ok_button = ttk.Button(buttons, text=action, style="Accent.TButton",
                                    command=self.confirm)
        self.ok_button.grid(row=0, column=1)
        self.entry.bind("<Return>", lambda e: self.confirm())
        self.bind("<Escape>", lambda e: self.destroy())
        self.protocol("WM_DELETE_WINDOW", self.destroy)
        self._place(master)
        self.deiconify()
        self.entry.focus_set()

    def _place(self, master) -> None:
        self.update_idletasks()
        x = master.winfo_rootx() + (master.winfo_width() - self.winfo_reqwidth()) // 2
        y = master.winfo_rooty() + (master.winfo_height() - self.winfo_reqheight()) // 3
        self.geometry(f"+{max(0, x)}+{max(0, y)}")

    def confirm(self) -> None:
        reason = self.reason.get()
        if self.minutes is None:
            self.destroy()
            self.on_ok(reason)
            return
        minutes = number_or_none(self.minutes.get())
        if minutes is None:
            self.minutes_box.focus_set()
            return
        self.destroy()
        self.on_ok(reason, minutes)


def number_or_none(text: str):
    """A typed number of 0 or more (int when whole), else None."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if not 0 <= value < 1e6:
        return None
    return int(value) if value == int(value) else value


class _Dialog(tkinter.Toplevel):
    """A small window over the chat (no window manager needed to see it)."""

    def __init__(self, master, title: str):
        super().__init__(master, background=theme.WINDOW_BG, highlightthickness=1,
                         highlightbackground="#9aa3b2", highlightcolor="#9aa3b2")
        self.withdraw()
        self.title(tk_safe(title, False))
        self.transient(master)
        self.resizable(False, False)
        self.bind("<Escape>", lambda e: self.destroy())
        self.protocol("WM_DELETE_WINDOW", self.destroy)

    def place_over(self, master) -> None:
        self.update_idletasks()
        x = master.winfo_rootx() + (master.winfo_width() - self.winfo_reqwidth()) // 2
        y = master.winfo_rooty() + (master.winfo_height() - self.winfo_reqheight()) // 3
        self.geometry(f"+{max(0, x)}+{max(0, y)}")
        self.deiconify()


class SlowDialog(_Dialog):
    """Slow mode: seconds between two messages of a student; 0 turns it off."""

    def __init__(self, master, current: float, on_ok: Callable):
        super().__init__(master, "Slow mode")
        self.on_ok = on_ok
        body = ttk.Frame(self, padding=18)
        body.grid(sticky="nsew")
        ttk.Label(body, text="One message per student every … seconds (0: off)",
                  wraplength=340).grid(row=0, column=0, columnspan=2, sticky="w")
        self.seconds = tkinter.StringVar(self, f"{current:g}" if current else "30")
        self.entry = ttk.Spinbox(body, from_=0, to=3600, width=8, textvariable=self.seconds)
        self.entry.grid(row=1, column=0, sticky="w", pady=(8, 0))
        buttons = ttk.Frame(body, padding=(0, 14, 0, 0))
        buttons.grid(row=2, column=0, columnspan=2, sticky="e")
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.destroy)
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.ok_button = ttk.Button(buttons, text="Set", style="Accent.TButton",
                                    command=self.confirm)
        self.ok_button.grid(row=0, column=1)
        self.entry.bind("<Return>", lambda e: self.confirm())
        self.place_over(master)
        self.entry.focus_set()

    def confirm(self) -> None:
        seconds = number_or_none(self.seconds.get())
        if seconds is None:
            return
        self.destroy()
        self.on_ok(seconds)


class BansDialog(_Dialog):
    """Who is kept out, until when, by whom; "Lift" ends a ban."""

    def __init__(self, master, on_lift: Callable, describe: Callable):
        super().__init__(master, "Bans")
        self.on_lift = on_lift
        self.describe = describe
        self.body = ttk.Frame(self, padding=18)
        self.body.grid(sticky="nsew")
        self.rows = ttk.Frame(self.body)
        self.rows.grid(row=0, column=0, sticky="we")
        self.close_button = ttk.Button(self.body, text="Close", command=self.destroy)
        self.close_button.grid(row=1, column=0, sticky="e", pady=(14, 0))
        self.lift_buttons = []
        self.show([])
        self.place_over(master)

    def show(self, bans) -> None:
        for child in self.rows.winfo_children():
            child.destroy()
        self.lift_buttons = []
        if not bans:
            ttk.Label(self.rows, text="Nobody is kept out.").grid(row=0, column=0, sticky="w")
        for row, ban in enumerate(bans):
            ttk.Label(self.rows, text=tk_safe(self.describe(ban), False)).grid(
                row=row, column=0, sticky="w", pady=2)
            button = ttk.Button(self.rows, text="Lift", width=6,
                                command=lambda b=ban: self.on_lift(b))
            button.grid(row=row, column=1, sticky="e", padx=(12, 0), pady=2)
            self.lift_buttons.append(button)

    def texts(self) -> list:
        return [str(w.cget("text")) for w in self.rows.winfo_children()
                if isinstance(w, ttk.Label)]


class PasswordDialog(_Dialog):
    """The admin password was refused on a reconnect: never retried by itself."""

    def __init__(self, master, text: str, on_retry: Callable, on_student: Callable,
                 on_quit: Callable):
        super().__init__(master, "Admin password")
        self.protocol("WM_DELETE_WINDOW", lambda: None)   # choose one of the three
        self.unbind("<Escape>")
        body = ttk.Frame(self, padding=18)
        body.grid(sticky="nsew")
        ttk.Label(body, text=tk_safe(text), wraplength=360).grid(
            row=0, column=0, columnspan=3, sticky="w")
        ttk.Label(body, text="Admin password:").grid(row=1, column=0, columnspan=3,
                                                     sticky="w", pady=(12, 2))
        self.password = tkinter.StringVar(self, "")
        self.entry = ttk.Entry(body, textvariable=self.password, show="•", width=36)
        self.entry.grid(row=2, column=0, columnspan=3, sticky="we")
        buttons = ttk.Frame(body, padding=(0, 14, 0, 0))
        buttons.grid(row=3, column=0, columnspan=3, sticky="e")
        self.quit_button = ttk.Button(buttons, text="Quit", command=self._do(on_quit))
        self.quit_button.grid(row=0, column=0, padx=(0, 8))
        self.student_button = ttk.Button(buttons, text="Join as a student",
                                         command=self._do(on_student))
        self.student_button.grid(row=0, column=1, padx=(0, 8))
        self.retry_button = ttk.Button(buttons, text="Try again", style="Accent.TButton",
                                       command=self._do(lambda: on_retry(self.password.get())))
        self.retry_button.grid(row=0, column=2)
        self.entry.bind("<Return>", lambda e: self.retry_button.invoke())
        self.place_over(master)
        self.entry.focus_set()

    def _do(self, action: Callable) -> Callable:
        def run():
            action()
            try:
                self.destroy()
            except tkinter.TclError:
                pass     # Quit closed the whole window already
        return run
