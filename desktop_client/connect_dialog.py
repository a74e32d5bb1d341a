"""The connect dialog: server, port, nickname and an optional admin password."""

import tkinter
from tkinter import ttk
from typing import Callable

from desktop_client import i18n
from desktop_client.i18n import _
from desktop_client.presenter import local_nick_problem
from desktop_client.textsafe import tk_safe


class ConnectDialog(ttk.Frame):
    """A card in the middle of the window. `on_connect(host, port, nick, password)`."""

    def __init__(self, master, settings, on_connect: Callable,
                 on_language: Callable = lambda code: None):
        super().__init__(master, style="TFrame", padding=24)
        self.on_connect = on_connect
        self.on_language = on_language
        self.language = tkinter.StringVar(self, i18n.LANGUAGES[i18n.language()])
        self.host = tkinter.StringVar(self, settings.host)
        self.port = tkinter.StringVar(self, str(settings.port))
        self.nick = tkinter.StringVar(self, settings.nick)
        self.password = tkinter.StringVar(self, "")
        self.message = tkinter.StringVar(self, "")
        self._build()

    def _build(self) -> None:
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        card = ttk.Frame(self, style="Card.TFrame", padding=(28, 22))
        card.grid(row=0, column=0)
        card.columnconfigure(0, weight=1)
        ttk.Label(card, text="ClassChat", style="Title.TLabel").grid(
            row=0, column=0, columnspan=2, sticky="w")
        ttk.Label(card, text=_("Join the chat of your class."), style="Subtitle.TLabel").grid(
            row=1, column=0, columnspan=2, sticky="w", pady=(0, 14))
        self.language_box = ttk.Combobox(card, textvariable=self.language, state="readonly",
                                         values=list(i18n.LANGUAGES.values()), width=10)
        self.language_box.grid(row=0, column=1, sticky="ne")
        self.language_box.bind("<<ComboboxSelected>>", lambda e: self._language_picked())

        self.host_entry = self._field(card, 2, _("Server"), self.host, width=24)
        self.port_entry = self._field(card, 2, _("Port"), self.port, column=1, width=7)
        self.nick_entry = self._field(card, 4, _("Nickname"), self.nick, columnspan=2)
        self.password_entry = self._field(card, 6, _("Admin password"), self.password,
                                          columnspan=2, show="•")
        ttk.Label(card, text=_("Only for the teacher; students leave it empty."),
                  style="Hint.TLabel").grid(row=8, column=0, columnspan=2, sticky="w")

        self.message_label = ttk.Label(card, textvariable=self.message, style="Error.TLabel",
                                       wraplength=320, justify="left")
        self.message_label.grid(row=9, column=0, columnspan=2, sticky="we", pady=(12, 0))
        self.connect_button = ttk.Button(card, text=_("Connect"), style="Accent.TButton",
                                         command=self.submit)
        self.connect_button.grid(row=10, column=0, columnspan=2, sticky="we", pady=(12, 0))
        for entry in (self.host_entry, self.port_entry, self.nick_entry, self.password_entry):
            entry.bind("<Return>", lambda e: self.submit())
            entry.bind("<KP_Enter>", lambda e: self.submit())

    def _field(self, card, row, label, variable, column=0, columnspan=1, **options):
        padx = (10, 0) if column else 0
        ttk.Label(card, text=label, style="Field.TLabel").grid(
            row=row, column=column, columnspan=columnspan, sticky="w", padx=padx, pady=(6, 2))
        entry = ttk.Entry(card, textvariable=variable, **options)
        entry.grid(row=row + 1, column=column, columnspan=columnspan, sticky="we", padx=padx)
        return entry

    # ---- logic (no Tk needed to decide) ---------------------------------------------

    def _language_picked(self) -> None:
        names = {name: code for code, name in i18n.LANGUAGES.items()}
        self.on_language(names.get(self.language.get(), i18n.DEFAULT))

    def typed(self) -> tuple:
        return self.host.get(), self.port.get(), self.nick.get(), self.password.get()

    def fill(self, host: str, port: str, nick: str, password: str) -> None:
        self.host.set(host)
        self.port.set(port)
        self.nick.set(nick)
        self.password.set(password)

    def values(self):
        """(host, port, nick, password) or raise ValueError with a sentence."""
        host = self.host.get().strip()
        if not host:
            raise ValueError(_("Enter the server address your teacher gave you."))
        try:
            port = int(self.port.get().strip())
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise ValueError(_("The port is a number between 1 and 65535 (usually 5050)."))
        nick = self.nick.get().strip()
        problem = local_nick_problem(nick)
        if problem:
            raise ValueError(problem)
        return host, port, nick, self.password.get() or None

    def submit(self) -> None:
        if str(self.connect_button["state"]) == "disabled":
            return
        try:
            host, port, nick, password = self.values()
        except ValueError as problem:
            self.show_error(str(problem))
            return
        self.set_busy(True)
        self.on_connect(host, port, nick, password)

    def set_busy(self, busy: bool) -> None:
        if busy:
            self.message_label.configure(style="Hint.TLabel")
            self.message.set(_("Connecting…"))
            self.connect_button.state(["disabled"])
        else:
            self.connect_button.state(["!disabled"])

    def show_error(self, text: str) -> None:
        """Say what went wrong; everything typed stays as it was."""
        self.set_busy(False)
        self.message_label.configure(style="Error.TLabel")
        self.message.set(tk_safe(text))

    def focus_first_empty(self) -> None:
        for entry, variable in ((self.host_entry, self.host), (self.nick_entry, self.nick)):
            if not variable.get().strip():
                entry.focus_set()
                return
        self.nick_entry.focus_set()
        self.nick_entry.select_range(0, "end")
