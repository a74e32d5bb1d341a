"""The rule for a message's text (contract, "Rules": `msg` text)."""

import re

from protocol import MAX_MESSAGE_CHARS, errors
from protocol.errors import ProtocolError

# Control characters (C0, DEL, C1) except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Remove control characters, strip, and refuse empty or over-long text."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    text = text.strip()
    if not text:
        raise ProtocolError(errors.EMPTY_MESSAGE, "The message is empty.")
    if len(text) > limit:
        raise ProtocolError(errors.MESSAGE_TOO_LONG,
                            f"A message has at most {limit} characters; "
                            f"this one has {len(text)}.")
    return text
