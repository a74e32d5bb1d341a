"""Fonts, colours and ttk styles: one calm, modern look on Linux, Windows and macOS."""

import sys
import tkinter
from tkinter import font as tkfont
from tkinter import ttk

ACCENT = "#2f62c9"
ACCENT_DARK = "#244ea3"
WINDOW_BG = "#eef1f6"
PANE_BG = "#ffffff"
BORDER = "#d5dae3"
TEXT = "#1f2328"
MUTED = "#6b7280"
PRIVATE_BG = "#f1ebff"
PRIVATE_FG = "#6d4bc4"
OWN_BG = "#eaf2ff"
ERROR_FG = "#b3261e"
ADMIN_FG = "#e0a100"     # the admin star in the user list
WARN_BG = "#fff4d6"
DANGER_BG = "#fde7e7"

# 24 colours, each with a contrast of at least 4.6:1 on white and on the own/private
# bands (WCAG AA for text), hues interleaved so neighbours differ; nick_colour() picks one.
NICK_COLOURS = ("#cd1d1d", "#34761e", "#1b6bbb", "#b82e95", "#6b6b0f", "#1e7660",
                "#7f20df", "#af4d2c", "#117811", "#3359cc", "#c91d73", "#5d721d",
                "#117474", "#a232c8", "#9c5916", "#1f7a36", "#2020df", "#c43156",
                "#427411", "#23718b", "#b71ab7", "#7e6720", "#117845", "#5933cc")


class Fonts:
    def __init__(self, root: tkinter.Misc):
        base = tkfont.nametofont("TkDefaultFont", root)
        family = base.actual("family")
        if sys.platform.startswith("linux") and "DejaVu Sans" in tkfont.families(root):
            family = "DejaVu Sans"
        size = 10 if sys.platform.startswith("linux") else max(10, abs(base.actual("size")))
        for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
            tkfont.nametofont(name, root).configure(family=family, size=size)
        self.family, self.size = family, size
        self.normal = tkfont.Font(root, family=family, size=size)
        self.bold = tkfont.Font(root, family=family, size=size, weight="bold")
        self.small = tkfont.Font(root, family=family, size=size - 1)
        self.italic = tkfont.Font(root, family=family, size=size - 1, slant="italic")
        self.chat = tkfont.Font(root, family=family, size=size + 1)
        self.chat_bold = tkfont.Font(root, family=family, size=size + 1, weight="bold")
        self.title = tkfont.Font(root, family=family, size=size + 9, weight="bold")
        self.header = tkfont.Font(root, family=family, size=size + 2, weight="bold")
        mono = "DejaVu Sans Mono" if "DejaVu Sans Mono" in tkfont.families(root) else "TkFixedFont"
        self.small_mono = tkfont.Font(root, family=mono, size=size - 1)


def setup(root: tkinter.Tk) -> Fonts:
    fonts = Fonts(root)
    style = ttk.Style(root)
    if sys.platform.startswith("win"):
        style.theme_use("vista" if "vista" in style.theme_names() else "clam")
    elif sys.platform == "darwin":
        style.theme_use("aqua")
    else:
        style.theme_use("clam")
    root.configure(background=WINDOW_BG)
    native = style.theme_use() in ("vista", "aqua")

    style.configure(".", font=fonts.normal)
    if not native:
        style.configure(".", background=WINDOW_BG, foreground=TEXT)
        style.configure("TEntry", padding=(6, 5), fieldbackground=PANE_BG,
                        bordercolor=BORDER, lightcolor=BORDER)
        style.configure("TEntry", selectbackground="#cfdcf7", selectforeground=TEXT)
        style.map("TEntry", bordercolor=[("disabled", BORDER), ("focus", ACCENT)],
                  selectbackground=[("!focus", "#dfe6f3")], selectforeground=[("!focus", TEXT)],
                  lightcolor=[("disabled", BORDER), ("focus", ACCENT)],
                  fieldbackground=[("disabled", "#f1f3f6")])
        style.configure("TButton", padding=(12, 5), background="#f7f8fa",
                        bordercolor=BORDER, lightcolor="#ffffff", darkcolor=BORDER)
        style.map("TButton", background=[("pressed", "#e3e7ee"), ("active", "#eef1f6")])
        style.configure("Accent.TButton", background=ACCENT, foreground="#ffffff",
                        bordercolor=ACCENT_DARK, lightcolor=ACCENT, darkcolor=ACCENT_DARK,
                        font=fonts.bold)
        style.map("Accent.TButton",
                  background=[("disabled", "#9bb3e3"), ("pressed", ACCENT_DARK),
                              ("active", "#3a6fd8")],
                  foreground=[("disabled", "#eef2fb")])
        style.configure("Danger.TButton", foreground=ERROR_FG)
        style.configure("Vertical.TScrollbar", background="#e4e8ef", troughcolor=PANE_BG,
                        bordercolor=PANE_BG, arrowcolor=MUTED, lightcolor="#e4e8ef",
                        darkcolor="#e4e8ef", gripcount=0, arrowsize=12)
        style.configure("Treeview", background=PANE_BG, fieldbackground=PANE_BG,
                        bordercolor=BORDER, rowheight=fonts.normal.metrics("linespace") + 10)
        style.map("Treeview", background=[("selected", "#dce6fb")],
                  foreground=[("selected", TEXT)])
    style.configure("Card.TFrame", background=PANE_BG)
    style.configure("Card.TLabel", background=PANE_BG)
    style.configure("Title.TLabel", background=PANE_BG, font=fonts.title, foreground=ACCENT)
    style.configure("Subtitle.TLabel", background=PANE_BG, foreground=MUTED)
    style.configure("Field.TLabel", background=PANE_BG, font=fonts.bold)
    style.configure("Hint.TLabel", background=PANE_BG, foreground=MUTED, font=fonts.small)
    style.configure("Error.TLabel", background=PANE_BG, foreground=ERROR_FG)
    style.configure("Header.TFrame", background=ACCENT)
    style.configure("Header.TLabel", background=ACCENT, foreground="#ffffff", font=fonts.header)
    style.configure("HeaderInfo.TLabel", background=ACCENT, foreground="#dbe5fa")
    style.configure("Side.TLabel", font=fonts.bold, foreground=MUTED)
    style.configure("Status.TLabel", foreground=MUTED, font=fonts.small)
    style.configure("Recipient.TLabel", background=OWN_BG, foreground=ACCENT,
                    font=fonts.bold, padding=(10, 5))
    style.configure("Private.Recipient.TLabel", background=PRIVATE_BG, foreground=PRIVATE_FG)
    for kind, colour in (("lost", WARN_BG), ("shutdown", DANGER_BG), ("kicked", DANGER_BG),
                         ("logged_out", WARN_BG), ("refused", DANGER_BG)):
        style.configure(f"{kind}.Banner.TFrame", background=colour)
        style.configure(f"{kind}.Banner.TLabel", background=colour, foreground=TEXT,
                        font=fonts.bold)
    # The teacher's order (mute, slow mode) and the outbox note, above the input box.
    style.configure("Room.TLabel", foreground=PRIVATE_FG, font=fonts.bold)
    style.configure("Waiting.TLabel", foreground=MUTED, font=fonts.italic)
    style.configure("FindHint.TLabel", foreground="#9aa1ab", background=PANE_BG,
                    font=fonts.italic)
    style.configure("Jump.TButton", background=ACCENT, foreground="#ffffff", font=fonts.bold,
                    bordercolor=ACCENT_DARK, padding=(10, 3))
    style.map("Jump.TButton", background=[("active", "#3a6fd8")])
    return fonts
