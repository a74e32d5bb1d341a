"""Nickname rules: normalise, validate and compare (contract, "Nicknames")."""

import unicodedata

from protocol.errors import NICK_INVALID, ProtocolError

MAX_NICK_CHARS = 24
RESERVED = frozenset({"server", "everyone", "all"})
PUNCTUATION = frozenset("_-.")
# Hangul fillers are letters (Lo) that draw nothing: a nick made of them looks empty.
BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")


def key(nick: str) -> str:
    """The form two nicks are compared in: NFKC + casefold, so Alice = alice = ａｌｉｃｅ."""
    if nick.isascii():
        return nick.lower()  # the same result for ASCII, without the Unicode tables
    folded = unicodedata.normalize("NFKC", nick).casefold()
    # casefold can produce text that is no longer NFKC (e.g. "ß" -> "ss" is fine, but
    # some compatibility characters fold into sequences that normalise further).
    return unicodedata.normalize("NFKC", folded)


def normalise(nick: str) -> str:
    """The spelling a user keeps: NFC of what they typed."""
    return unicodedata.normalize("NFC", nick)


def problem(nick: str) -> str | None:
    """Why `nick` (already normalised) is not a valid nickname, or None if it is."""
    if not nick:
        return "A nickname needs at least one character."
    if len(nick) > MAX_NICK_CHARS:
        return f"A nickname has at most {MAX_NICK_CHARS} characters."
    for position, char in enumerate(nick):
        if not _allowed(char, position):
            return (f"A nickname may hold letters, digits, '_', '-' and '.'; "
                    f"{_describe(char)} is not allowed.")
    if key(nick) in RESERVED:
        return f"'{nick}' is reserved; choose another nickname."
    return None


def validate(nick: str) -> str:
    """Return the normalised nick, or raise ProtocolError(nick_invalid)."""
    nick = normalise(nick)
    reason = problem(nick)
    if reason:
        raise ProtocolError(NICK_INVALID, reason)
    return nick


def _allowed(char: str, position: int) -> bool:
    if char in PUNCTUATION:
        return True
    if char in BLANK_FILLERS:
        return False
    category = unicodedata.category(char)
    if category[0] == "L" or category == "Nd":
        return True
    return position > 0 and category in ("Mn", "Mc")


def _describe(char: str) -> str:
    # By code point and name: the offending character may well be invisible.
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()
