"""The chat window's panes: one class each, built with ttk and grid.

They only draw what the presenter decided; none of them talks to the network.
"""

import math
import tkinter
from tkinter import ttk
from typing import Callable, Optional

from desktop_client import theme
from desktop_client.i18n import _, ngettext
from desktop_client.presenter import NICK_COLOURS
from desktop_client.textsafe import tk_safe

MAX_PANE_LINES = 5000   # older lines are dropped so a long lesson stays fast
BADGE_SIZE = 14         # the admin star in the user list, in pixels
BADGE_GAP = 4           # between the star and the name
MAX_INPUT_ROWS = 5      # the input box grows to this many rows, then scrolls


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
        self.reconnect_button = ttk.Button(self, text=_("Reconnect"), command=on_reconnect)
        self.reconnect_button.grid(row=0, column=1, sticky="e", padx=(10, 0))
        self.kind = None
        self.grid_remove()

    def show(self, kind: str, text: str, can_reconnect: bool = True,
             reconnect_enabled: bool = True) -> None:
        self.kind = kind
        self.configure(style=f"{kind}.Banner.TFrame")
        self.label.configure(text=tk_safe(text), style=f"{kind}.Banner.TLabel")
        if can_reconnect:
            self.reconnect_button.grid()
        else:
            self.reconnect_button.grid_remove()
        self.reconnect_button.state(["!disabled"] if reconnect_enabled else ["disabled"])
        self.grid()

    def hide(self) -> None:
        self.grid_remove()

    def shown(self) -> bool:
        return bool(self.winfo_ismapped())

    def can_reconnect(self) -> bool:
        return bool(self.reconnect_button.winfo_ismapped())

    def text(self) -> str:
        return str(self.label.cget("text"))


class MessagePane(ttk.Frame):
    """The conversation: a read-only Text with a tag per style.

    The follow rule: while the view is at the bottom it follows new lines whatever
    happens (a burst, a resize, a strip appearing); scrolled up, it stays put and a
    "N new messages ↓" button jumps down. Only the reader's own scrolling changes
    which of the two it is. A line with a key replaces the line with that key in place.
    """

    def __init__(self, master, fonts, on_action: Optional[Callable] = None):
        super().__init__(master)
        self.fonts = fonts
        self.on_action = on_action
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
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self._scrolled)
        self.scrollbar.grid(row=0, column=1, sticky="ns")
        self.text.configure(yscrollcommand=self._moved)
        self.following = True
        self.unseen = 0
        self.jump_button = ttk.Button(self, text="", style="Jump.TButton", command=self.jump_down,
                                      takefocus=False)
        self._indents: set = set()
        self._tags(fonts)
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            self.text.bind(sequence, lambda e: self.after_idle(self._user_moved), add="+")
        self.text.bind("<Configure>", lambda e: self._keep_following())
        self.text.bind("<Button-1>", self._clicked, add="+")
        self.text.tag_bind("action", "<Enter>", lambda e: self.text.configure(cursor="hand2"))
        self.text.tag_bind("action", "<Leave>", lambda e: self.text.configure(cursor="arrow"))

    def _tags(self, fonts) -> None:
        # Creation order is priority order: later tags win where they overlap.
        indent = fonts.small.measure("00:00  ") + 2
        t = self.text
        t.tag_configure("public", lmargin2=indent)
        t.tag_configure("private", background=theme.PRIVATE_BG, lmargin2=indent)
        t.tag_configure("own", background=theme.OWN_BG)
        t.tag_configure("private_own", background=theme.PRIVATE_BG)
        t.tag_configure("earlier", foreground=theme.MUTED)
        t.tag_configure("time", foreground="#7b8490", font=fonts.small)
        t.tag_configure("nick", font=fonts.chat_bold)
        for index, colour in enumerate(theme.NICK_COLOURS[:NICK_COLOURS]):
            t.tag_configure(f"nick{index}", foreground=colour)
        t.tag_configure("arrow", foreground=theme.MUTED)
        t.tag_configure("badge", foreground=theme.PRIVATE_FG, font=fonts.italic)
        t.tag_configure("notice", foreground=theme.MUTED, font=fonts.italic, lmargin1=4,
                        lmargin2=4)
        t.tag_configure("help", tabs=(fonts.italic.measure("-kick NICK [15m] [REASON]") + 24,),
                        lmargin2=fonts.italic.measure("-kick NICK [15m] [REASON]") + 28)
        t.tag_configure("flag", font=fonts.small_mono, foreground=theme.TEXT)
        t.tag_configure("error", foreground=theme.ERROR_FG, font=fonts.bold, lmargin1=4)
        t.tag_configure("separator", foreground="#7b8490", font=fonts.small, justify="center",
                        spacing1=8, spacing3=6)
        t.tag_configure("pending", foreground="#8a919c")
        t.tag_configure("status", foreground="#8a919c", font=fonts.italic)
        t.tag_configure("status_failed", foreground=theme.ERROR_FG, font=fonts.italic)
        t.tag_configure("action", foreground=theme.ACCENT, underline=True, font=fonts.bold)

    # ---- adding lines -------------------------------------------------------------

    def add(self, lines) -> None:
        if not lines:
            return
        t = self.text
        last_of = {line.key: index for index, line in enumerate(lines) if line.key}
        done = set()
        added = 0
        t.configure(state="normal")
        for index, line in enumerate(lines):
            if line.key:
                if line.key in done:
                    continue
                done.add(line.key)
                line = lines[last_of[line.key]]
                ranges = t.tag_ranges(f"key:{line.key}")
                if ranges:
                    start = t.index(ranges[0])
                    t.delete(start, ranges[-1])
                    self._insert(start, line)
                    continue
            self._insert("end", line)
            added += 1
        excess = int(t.index("end-1c").split(".")[0]) - MAX_PANE_LINES
        if excess > 0:
            t.delete("1.0", f"{excess + 1}.0")
        t.configure(state="disabled")
        if self.following:
            t.see("end")
        elif added:
            self.unseen += added
            self._show_jump()

    def _insert(self, at: str, line) -> None:
        t = self.text
        line_tags = line.line_tags()
        if line.key:
            line_tags += (f"key:{line.key}",)
        if line.kind == "separator":
            parts = [(f"──────  {line.text}  ──────", ("separator",))]
        else:
            parts = line.parts
        indent = None
        width = 0
        chunks = []
        for part, tags in parts:
            if "cont" in tags:
                if indent is None:
                    indent = self._indent_tag(width)
                tags = tags + (indent,)
            elif indent is None and ("body" not in tags or part == ": "):
                # Up to the text: the time, the names, the badge and ": ".
                width += self._font_of(tags).measure(part)
            chunks += [part, tags + line_tags]
        chunks += ["\n", line_tags]
        t.insert(at, *chunks)

    def _font_of(self, tags):
        if "time" in tags:
            return self.fonts.small
        if "nick" in tags:
            return self.fonts.chat_bold
        if "badge" in tags:
            return self.fonts.italic
        return self.fonts.chat

    def _indent_tag(self, pixels: int) -> str:
        pixels = min(pixels, 320) // 4 * 4
        name = f"indent{pixels}"
        if name not in self._indents:
            self.text.tag_configure(name, lmargin1=pixels, lmargin2=pixels)
            self._indents.add(name)
        return name

    # ---- following ------------------------------------------------------------------

    def _scrolled(self, *args) -> None:
        self.text.yview(*args)
        self._user_moved()

    def _moved(self, first, last) -> None:
        self.scrollbar.set(first, last)

    def at_bottom(self) -> bool:
        return self.text.yview()[1] >= 0.999

    def _user_moved(self) -> None:
        self.following = self.at_bottom()
        if self.following:
            self.unseen = 0
            self.jump_button.place_forget()

    def _keep_following(self) -> None:
        if self.following:
            self.text.see("end")

    def _show_jump(self) -> None:
        self.jump_button.configure(text=ngettext("{n} new message ↓", "{n} new messages ↓",
                                                 self.unseen).format(n=self.unseen))
        self.jump_button.place(relx=1.0, rely=1.0, x=-26, y=-10, anchor="se")
        self.jump_button.lift()

    def jump_down(self) -> None:
        self.text.see("end")
        self.following = True
        self.unseen = 0
        self.jump_button.place_forget()

    def scroll_up(self, pages: int = 1) -> None:
        """As the reader would (the scrollbar or the wheel)."""
        self._scrolled("scroll", -pages, "pages")

    def jump_text(self) -> str:
        return str(self.jump_button.cget("text")) if self.jump_button.winfo_ismapped() else ""

    # ---- reading it back ----------------------------------------------------------------

    def _clicked(self, event):
        index = self.text.index(f"@{event.x},{event.y}")
        for tag in self.text.tag_names(index):
            if tag.startswith("act-") and self.on_action is not None:
                self.on_action(tag[4:])
                return "break"
        return None

    def click_action(self, label: str) -> bool:
        """Click the last clickable word `label` (Retry, Undo), as the reader would."""
        at = self.text.search(label, "end", backwards=True)
        while at:
            if "action" in self.text.tag_names(at):
                self.text.see(at)
                self.update_idletasks()
                x, y, w, h = self.text.bbox(at)
                self.text.event_generate("<Button-1>", x=x + 2, y=y + h // 2)
                return True
            at = self.text.search(label, at, backwards=True)
        return False

    def tags_at(self, text: str) -> tuple:
        """The tags of the last occurrence of `text` ('' when absent)."""
        at = self.text.search(text, "end", backwards=True)
        return self.text.tag_names(at) if at else ()

    def content(self) -> str:
        return self.text.get("1.0", "end-1c")


class UserPane(ttk.Frame):
    """Everyone, then who is online (scrollable, with a box to find a name). Clicking a
    row picks the recipient. The list changes row by row as people join and leave."""

    def __init__(self, master, fonts, on_pick: Callable, on_kick: Callable,
                 on_down: Callable, on_menu: Optional[Callable] = None,
                 on_mute_class: Optional[Callable] = None, on_slow: Optional[Callable] = None,
                 on_bans: Optional[Callable] = None, rows: Optional[Callable] = None):
        super().__init__(master, padding=(0, 0, 0, 0))
        self.fonts = fonts
        self.on_pick = on_pick
        self.on_menu = on_menu
        self.rows = rows or (lambda find: [])
        self.columnconfigure(0, weight=1)
        self.rowconfigure(2, weight=1)
        self.heading = ttk.Label(self, text=_("ONLINE"), style="Side.TLabel")
        self.heading.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 4))
        self.find = tkinter.StringVar(self, "")
        self.find_entry = ttk.Entry(self, textvariable=self.find, width=10)
        self.find_entry.grid(row=1, column=0, columnspan=2, sticky="we", pady=(0, 4))
        self.find_hint = ttk.Label(self, text=_("Find a name…"), style="FindHint.TLabel")
        self.find_hint.place(in_=self.find_entry, x=8, rely=0.5, anchor="w")
        self.find_hint.bind("<Button-1>", lambda e: self.find_entry.focus_set())
        self.find.trace_add("write", lambda *a: self._find_changed())
        self.find_entry.bind("<Return>", lambda e: self._pick_first())
        self.find_entry.bind("<Escape>", lambda e: self.find.set(""))
        self.tree = ttk.Treeview(self, show="tree", selectmode="browse", takefocus=False,
                                 height=10)
        self.base_width = 200
        self.tree.column("#0", width=self.base_width, minwidth=120, stretch=True)
        self.tree.grid(row=2, column=0, sticky="nsew")
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.tree.yview)
        self.scrollbar.grid(row=2, column=1, sticky="ns")
        self.tree.configure(yscrollcommand=self.scrollbar.set)
        self.tree.tag_configure("everyone", font=fonts.bold, foreground=theme.ACCENT)
        self.tree.tag_configure("me", font=fonts.bold)
        for index, colour in enumerate(theme.NICK_COLOURS[:NICK_COLOURS]):
            self.tree.tag_configure(f"nick{index}", foreground=colour)
        self.tree.bind("<<TreeviewSelect>>", self._selected)
        self.tree.bind("<Button-3>", self._context)
        self.tree.tag_configure("muted", foreground=theme.MUTED)
        self.tree.tag_configure("admin", font=fonts.bold)
        self._nicks: dict[str, Optional[str]] = {"everyone": None}
        self._iid_of: dict = {}          # nicks.key -> iid
        self._iids: list = []            # the users' iids in the tree's order
        self._serial = 0
        self._widest = 0
        self._filtered = False
        # Admins get a star before their name; everyone else an empty image of the
        # same size, so names stay in one column.
        self.admin_badge = star_image(self)
        self.no_badge = star_image(self, colour=None)
        self.tree.insert("", "end", iid="everyone", text=_("Everyone"), tags=("everyone",))

        self.admin_box = ttk.Frame(self, padding=(0, 10, 0, 0))
        self.admin_box.columnconfigure(0, weight=1)
        ttk.Label(self.admin_box, text=_("ADMIN"), style="Side.TLabel").grid(
            row=0, column=0, sticky="w", pady=(0, 4))
        self.kick_button = ttk.Button(self.admin_box, text=_("Remove user…"),
                                      style="Danger.TButton", command=on_kick)
        self.kick_button.grid(row=1, column=0, sticky="we")
        self.mute_class_button = ttk.Button(self.admin_box, text=_("Mute the class"),
                                            command=on_mute_class)
        self.mute_class_button.grid(row=2, column=0, sticky="we", pady=(4, 0))
        order = ttk.Frame(self.admin_box)
        order.grid(row=3, column=0, sticky="we", pady=(4, 0))
        order.columnconfigure((0, 1), weight=1, uniform="order")
        self.slow_button = ttk.Button(order, text=_("Slow mode…"), command=on_slow)
        self.slow_button.grid(row=0, column=0, sticky="we", padx=(0, 2))
        self.bans_button = ttk.Button(order, text=_("Bans…"), command=on_bans)
        self.bans_button.grid(row=0, column=1, sticky="we", padx=(2, 0))
        self.down_button = ttk.Button(self.admin_box, text=_("Shut down server…"),
                                      style="Danger.TButton", command=on_down)
        self.down_button.grid(row=4, column=0, sticky="we", pady=(4, 0))
        self.admin_box.grid(row=3, column=0, columnspan=2, sticky="we")
        self.admin_box.grid_remove()

    # ---- drawing ------------------------------------------------------------------

    def show_users(self, ops, recipient: Optional[str], count: int, online: bool) -> None:
        """Apply the presenter's list changes (row by row; all at once after a reset or
        while a name is being looked for)."""
        if ops:
            if self._filtered or self.find.get().strip() or ("reset",) in ops:
                self._rebuild()
            else:
                for op in ops:
                    self._apply(op)
        self.heading.configure(text=_("ONLINE · {n}").format(n=count) if online
                               else _("OFFLINE"))
        self.select(recipient)

    def _apply(self, op) -> None:
        kind = op[0]
        if kind == "insert":
            index, row = op[1], op[2]
            iid = self._new_row(row, index)
            self._iids.insert(index, iid)
        elif kind == "delete":
            iid = self._iids.pop(op[1])
            self._forget(iid)
            self.tree.delete(iid)
        elif kind == "update":
            nick, label, tags = op[2]
            iid = self._iids[op[1]]
            self.tree.item(iid, text=label, tags=tags, image=self._badge(tags))
            self._fit(label)

    def _rebuild(self) -> None:
        self.tree.delete(*self._iids)
        self._nicks = {"everyone": None}
        self._iid_of, self._iids = {}, []
        self._widest = 0
        find = self.find.get().strip()
        self._filtered = bool(find)
        for row in self.rows(find)[1:]:
            self._iids.append(self._new_row(row, "end"))

    def _new_row(self, row, index) -> str:
        nick, label, tags = row
        self._serial += 1
        iid = f"u{self._serial}"
        self._nicks[iid] = nick
        self._iid_of[nick] = iid
        self.tree.insert("", index if index == "end" else index + 1, iid=iid, text=label,
                         tags=tags, image=self._badge(tags))
        self._fit(label)
        return iid

    def _forget(self, iid: str) -> None:
        nick = self._nicks.pop(iid, None)
        if self._iid_of.get(nick) == iid:
            del self._iid_of[nick]

    def _badge(self, tags):
        return self.admin_badge if "admin" in tags else self.no_badge

    def _fit(self, label: str) -> None:
        """Rows always fit: the list widens to its longest name (bounded by nick rules)."""
        width = self.fonts.bold.measure(label)
        if width > self._widest:
            self._widest = width
            needed = width + self.admin_badge.width() + 32
            if needed > self.tree.column("#0", "width"):
                self.tree.column("#0", width=min(needed, 460))

    def _find_changed(self) -> None:
        if self.find.get():
            self.find_hint.place_forget()
        else:
            self.find_hint.place(in_=self.find_entry, x=8, rely=0.5, anchor="w")
        self._rebuild()
        self.tree.yview_moveto(0)

    def _pick_first(self) -> str:
        if self._iids:
            self.tree.selection_set(self._iids[0])
            self._selected()
            self.find.set("")
        return "break"

    # ---- reading and picking --------------------------------------------------------------

    def iid_of(self, nick: Optional[str]) -> Optional[str]:
        if nick is None:
            return "everyone"
        return self._iid_of.get(nick)

    def labels(self) -> list:
        return [str(self.tree.item(iid, "text")).strip() for iid in self.tree.get_children()]

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
            text=_("Unmute the class") if class_muted else _("Mute the class"))
        for button in (self.down_button, self.mute_class_button, self.slow_button,
                       self.bans_button):
            button.state(["!disabled"] if online else ["disabled"])

    def admin_shown(self) -> bool:
        return bool(self.admin_box.winfo_ismapped())


class InputBar(ttk.Frame):
    """`To: Everyone` beside the input box and the Send button. Enter sends; Shift+Enter
    (and pasted text) makes more lines; the box grows up to MAX_INPUT_ROWS."""

    def __init__(self, master, fonts, on_send: Callable):
        super().__init__(master, padding=(0, 10, 0, 0))
        self.on_send = on_send
        self.columnconfigure(1, weight=1)
        self.recipient = ttk.Label(self, text="", style="Recipient.TLabel")
        self.recipient.grid(row=0, column=0, sticky="ns", padx=(0, 8))
        self.entry = tkinter.Text(
            self, height=1, width=12, wrap="word", font=fonts.normal, undo=True,
            background=theme.PANE_BG, foreground=theme.TEXT, relief="flat", borderwidth=0,
            highlightthickness=1, highlightbackground=theme.BORDER,
            highlightcolor=theme.ACCENT, padx=6, pady=5, insertbackground=theme.TEXT,
            selectbackground="#cfdcf7")
        self.entry.grid(row=0, column=1, sticky="we")
        self.send_button = ttk.Button(self, text=_("Send"), style="Accent.TButton", width=-8,
                                      command=self.send)
        self.send_button.grid(row=0, column=2, padx=(8, 0), sticky="s")
        self.entry.bind("<Return>", self.send)
        self.entry.bind("<KP_Enter>", self.send)
        self.entry.bind("<Shift-Return>", self._new_line)
        self.entry.bind("<KeyRelease>", lambda e: self._fit(), add="+")
        self.entry.bind("<<Paste>>", lambda e: self.after_idle(self._fit), add="+")
        self.note = ttk.Label(self, text="", style="Waiting.TLabel")
        self.note.grid(row=1, column=1, sticky="w")
        self.note.grid_remove()
        self.hint = ""          # shown in the disabled box instead of text (muted)
        self._kept = ""
        self._enabled = True

    def send(self, event=None):
        if self.hint or not self._enabled:
            return "break"
        if self.on_send(self.text()):
            self.clear()
        return "break"

    def _new_line(self, event=None) -> str:
        self.entry.insert("insert", "\n")
        self.entry.see("insert")
        self._fit()
        return "break"

    def _fit(self) -> None:
        rows = int(self.entry.count("1.0", "end", "displaylines")[0] or 1)
        rows = max(1, min(MAX_INPUT_ROWS, rows))
        if int(self.entry.cget("height")) != rows:
            self.entry.configure(height=rows)

    def text(self) -> str:
        """What was typed ('' while the box shows a hint instead)."""
        return "" if self.hint else self.entry.get("1.0", "end-1c")

    def showing(self) -> str:
        """What the box shows: the typed text, or the hint."""
        return self.entry.get("1.0", "end-1c")

    def set_text(self, text: str) -> None:
        state = self.entry.cget("state")
        self.entry.configure(state="normal")
        self.entry.delete("1.0", "end")
        self.entry.insert("1.0", text)
        self.entry.configure(state=state)
        self._fit()

    def clear(self) -> None:
        self.set_text("")

    def restore(self, text: str) -> None:
        """A refused message comes back, unless something new was typed meanwhile."""
        if not self.text().strip():
            self.set_text(text)

    def show_hint(self, hint: str) -> None:
        """Muted: the box is disabled and says why; what was typed comes back after."""
        if hint == self.hint:
            return
        if hint and not self.hint:
            self._kept = self.entry.get("1.0", "end-1c")
        self.hint = ""
        self.set_text(hint or self._kept)
        self.hint = hint

    def show_note(self, note: str) -> None:
        if note:
            self.note.configure(text=note)
            self.note.grid()
        else:
            self.note.grid_remove()

    def note_text(self) -> str:
        return str(self.note.cget("text")) if self.note.winfo_ismapped() else ""

    def show_recipient(self, label: str, private: bool) -> None:
        style = "Private.Recipient.TLabel" if private else "Recipient.TLabel"
        self.recipient.configure(text=label, style=style)

    def recipient_text(self) -> str:
        return str(self.recipient.cget("text"))

    def set_enabled(self, enabled: bool) -> None:
        enabled = enabled and not self.hint
        self._enabled = enabled
        self.entry.configure(state="normal" if enabled else "disabled",
                             foreground=theme.TEXT if enabled else theme.MUTED,
                             background=theme.PANE_BG if enabled else "#f1f3f6")
        self.send_button.state(["!disabled"] if enabled else ["disabled"])

    def enabled(self) -> bool:
        return self._enabled

    def focus(self) -> None:
        self.entry.focus_set()


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
        ttk.Label(body, text=_("Reason (optional, everyone sees it):")).grid(
            row=1, column=0, columnspan=2, sticky="w", pady=(12, 2))
        self.entry = ttk.Entry(body, textvariable=self.reason, width=40)
        self.entry.grid(row=2, column=0, columnspan=2, sticky="we")
        self.minutes = None
        if minutes is not None:
            self.minutes = tkinter.StringVar(self, str(minutes))
            ttk.Label(body, text=_("Keep them out for (minutes, 0: not at all):")).grid(
                row=3, column=0, sticky="w", pady=(10, 0))
            self.minutes_box = ttk.Spinbox(body, from_=0, to=1440, width=6,
                                           textvariable=self.minutes)
            self.minutes_box.grid(row=3, column=1, sticky="e", pady=(10, 0))
        buttons = ttk.Frame(body, padding=(0, 14, 0, 0))
        buttons.grid(row=4, column=0, columnspan=2, sticky="e")
        self.cancel_button = ttk.Button(buttons, text=_("Cancel"), command=self.destroy)
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
        super().__init__(master, _("Slow mode"))
        self.on_ok = on_ok
        body = ttk.Frame(self, padding=18)
        body.grid(sticky="nsew")
        ttk.Label(body, text=_("One message per student every … seconds (0: off)"),
                  wraplength=340).grid(row=0, column=0, columnspan=2, sticky="w")
        self.seconds = tkinter.StringVar(self, f"{current:g}" if current else "30")
        self.entry = ttk.Spinbox(body, from_=0, to=3600, width=8, textvariable=self.seconds)
        self.entry.grid(row=1, column=0, sticky="w", pady=(8, 0))
        buttons = ttk.Frame(body, padding=(0, 14, 0, 0))
        buttons.grid(row=2, column=0, columnspan=2, sticky="e")
        self.cancel_button = ttk.Button(buttons, text=_("Cancel"), command=self.destroy)
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.ok_button = ttk.Button(buttons, text=_("Set"), style="Accent.TButton",
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
        super().__init__(master, _("Bans"))
        self.on_lift = on_lift
        self.describe = describe
        self.body = ttk.Frame(self, padding=18)
        self.body.grid(sticky="nsew")
        self.rows = ttk.Frame(self.body)
        self.rows.grid(row=0, column=0, sticky="we")
        self.close_button = ttk.Button(self.body, text=_("Close"), command=self.destroy)
        self.close_button.grid(row=1, column=0, sticky="e", pady=(14, 0))
        self.lift_buttons = []
        self.show([])
        self.place_over(master)

    def show(self, bans) -> None:
        for child in self.rows.winfo_children():
            child.destroy()
        self.lift_buttons = []
        if not bans:
            ttk.Label(self.rows, text=_("Nobody is kept out.")).grid(row=0, column=0, sticky="w")
        for row, ban in enumerate(bans):
            ttk.Label(self.rows, text=tk_safe(self.describe(ban), False)).grid(
                row=row, column=0, sticky="w", pady=2)
            button = ttk.Button(self.rows, text=_("Lift"), width=6,
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
        super().__init__(master, _("Admin password"))
        self.protocol("WM_DELETE_WINDOW", lambda: None)   # choose one of the three
        self.unbind("<Escape>")
        body = ttk.Frame(self, padding=18)
        body.grid(sticky="nsew")
        ttk.Label(body, text=tk_safe(text), wraplength=360).grid(
            row=0, column=0, columnspan=3, sticky="w")
        ttk.Label(body, text=_("Admin password:")).grid(row=1, column=0, columnspan=3,
                                                     sticky="w", pady=(12, 2))
        self.password = tkinter.StringVar(self, "")
        self.entry = ttk.Entry(body, textvariable=self.password, show="•", width=36)
        self.entry.grid(row=2, column=0, columnspan=3, sticky="we")
        buttons = ttk.Frame(body, padding=(0, 14, 0, 0))
        buttons.grid(row=3, column=0, columnspan=3, sticky="e")
        self.quit_button = ttk.Button(buttons, text=_("Quit"), command=self._do(on_quit))
        self.quit_button.grid(row=0, column=0, padx=(0, 8))
        self.student_button = ttk.Button(buttons, text=_("Join as a student"),
                                         command=self._do(on_student))
        self.student_button.grid(row=0, column=1, padx=(0, 8))
        self.retry_button = ttk.Button(buttons, text=_("Try again"), style="Accent.TButton",
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
