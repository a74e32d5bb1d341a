"""The rule for a message's text (contract, "Rules": `msg` text, and what this server adds:
no invisible characters that reorder or hide text, at most 20 lines)."""

import re
import unicodedata

from protocol import MAX_MESSAGE_CHARS, errors
from protocol.errors import ProtocolError

MAX_MESSAGE_LINES = 20

# Control characters (C0, DEL, C1) except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that reorder text (bidi embeddings, overrides, isolates and marks) or that
# take no room (zero-width space, word joiner, BOM, soft hyphen …): with them one line can
# look like another's, or a nick inside it look like someone else's. The zero-width joiner
# is looked at separately: inside an emoji sequence (👩‍💻) it is part of the picture.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e"
                        "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_ZWJ = "\u200d"


def clean_text(text: str, limit: int = MAX_MESSAGE_CHARS,
               max_lines: int = MAX_MESSAGE_LINES) -> str:
    """Remove control and invisible characters, strip, and refuse empty, over-long or
    too-many-lines text."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
        if _ZWJ in text:
            text = _keep_emoji_joiners(text)
    text = text.strip()
    if not text:
        raise ProtocolError(errors.EMPTY_MESSAGE, "The message is empty.")
    if len(text) > limit:
        raise ProtocolError(errors.MESSAGE_TOO_LONG,
                            f"A message has at most {limit} characters; "
                            f"this one has {len(text)}.")
    lines = text.count("\n") + 1
    if lines > max_lines:
        raise ProtocolError(errors.MESSAGE_TOO_LONG,
                            f"A message has at most {max_lines} lines; this one has {lines}.")
    return text


def _keep_emoji_joiners(text: str) -> str:
    kept = []
    for index, char in enumerate(text):
        if char == _ZWJ and not (_emoji_part(text[index - 1:index])
                                 and _emoji_part(text[index + 1:index + 2])):
            continue
        kept.append(char)
    return "".join(kept)


def _emoji_part(char: str) -> bool:
    if not char:
        return False
    code = ord(char)
    return (unicodedata.category(char) == "So" or code == 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF)   # skin tones
