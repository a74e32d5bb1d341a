"""Text that is safe to hand to Tk, whatever Unicode a classmate sends.

Checked on Tk 8.6.13 with Python 3.11: characters outside the Basic Multilingual
Plane (emoji) go in and come back unchanged (tkinter passes them as surrogate
pairs) and draw with DejaVu Sans or as a box, without crashing. Older builds refuse
them with a TclError, so `probe()` tests the running Tk once and `tk_safe()` then
either keeps astral characters or shows them as a `[U+1F600]` placeholder. Lone
surrogates and control characters never reach a widget.
"""

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

_astral_ok = True


def set_astral_supported(supported: bool) -> None:
    global _astral_ok
    _astral_ok = supported


def astral_supported() -> bool:
    return _astral_ok


def probe(widget) -> bool:
    """Insert an emoji into a throw-away Tk text widget and check it comes back intact."""
    import tkinter
    sample = "\U0001F600"
    try:
        text = tkinter.Text(widget)
        try:
            text.insert("1.0", sample)
            ok = text.get("1.0", "end-1c") == sample
        finally:
            text.destroy()
    except tkinter.TclError:
        ok = False
    set_astral_supported(ok)
    return ok


def _placeholder(match) -> str:
    return f"[U+{ord(match.group()):X}]"


def tk_safe(text: str, keep_newlines: bool = True) -> str:
    """`text` made safe for any Tk widget (one line when keep_newlines is False)."""
    if not isinstance(text, str):
        text = str(text)
    if not keep_newlines:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if not _astral_ok and _ASTRAL.search(text):
        text = _ASTRAL.sub(_placeholder, text)
    return text
