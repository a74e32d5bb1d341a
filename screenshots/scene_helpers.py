"""Driving a ChatApp through its widgets, as a student would (for the screenshot scene)."""


def type_line(app, text: str) -> None:
    """Type into the input box and press Enter."""
    entry = app.input.entry
    entry.focus_force()
    app.root.update()
    entry.delete(0, "end")
    entry.insert(0, text)
    entry.event_generate("<Return>")
    app.root.update()


def click_user_row(app, nick) -> None:
    """A mouse click on the user's row (None: Everyone)."""
    tree = app.users.tree
    iid = app.users.iid_of(nick) if nick is not None else "everyone"
    tree.see(iid)
    app.root.update()
    x, y, width, height = tree.bbox(iid)
    tree.event_generate("<ButtonPress-1>", x=x + 20, y=y + height // 2)
    tree.event_generate("<ButtonRelease-1>", x=x + 20, y=y + height // 2)
    app.root.update()
