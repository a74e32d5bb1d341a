"""Nickname rules: normalise, validate and compare (contract, "Nicknames").

Two comparisons: `key()` says two nicks are the same name (Alice = alice), `skeleton()`
says they would pass for each other on screen (Тeacher, with a Cyrillic Т, = teacher).
The look-alike rules follow Unicode's UTS #39; its data is generated into
protocol/confusables_data.py by tools/make_confusables.py.
"""

import bisect
import unicodedata

from protocol import confusables_data as _data
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
    mixed = _mixed_scripts(nick)
    if mixed:
        first, second = mixed
        return (f"A nickname must use one alphabet; '{nick}' mixes {first} and "
                f"{second} letters.")
    if key(nick) in RESERVED or skeleton(nick) in _RESERVED_SKELETONS:
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


# --- look-alikes (UTS #39) ---

_PROTOTYPE_OF = dict(zip(map(ord, _data.SOURCES), _data.PROTOTYPES.split("\0")))
_PROTOTYPE_OF.update({cp: None for first, last in _data.IGNORABLE_RANGES
                      for cp in range(first, last + 1)})
# Folding case can make a character the skeleton maps again ("M" -> "m" -> "rn"), so
# skeleton() repeats until nothing changes (any single character settles in 3 rounds).
_MAX_ROUNDS = 4


def skeleton(nick: str) -> str:
    """What `nick` looks like, ignoring case: equal skeletons pass for each other.

    Pass the nick as the user spells it (normalise(nick)), not key(nick): folding case
    first would turn a Cyrillic "Т", which looks like "T", into "т", which does not
    look like "t". The result is UTS #39's skeleton (NFD, default-ignorable characters
    dropped, every character replaced by its confusables.txt prototype, NFD again)
    folded with key() and taken again, until it no longer changes, so
    skeleton("Тeacher") == skeleton("teacher") == "teacher" and
    skeleton("Mr.Smith") == skeleton("mr.smith") == "rnr.srnith". It is a comparison
    key, never shown, and skeleton(skeleton(s)) == skeleton(s).
    """
    shape = _uts39_skeleton(nick)
    for _ in range(_MAX_ROUNDS):
        again = _uts39_skeleton(key(shape))
        if again == shape:
            break
        shape = again
    return shape


def _uts39_skeleton(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", decomposed.translate(_PROTOTYPE_OF))


_RESERVED_SKELETONS = frozenset(map(skeleton, RESERVED))

# UTS #39 "Highly Restrictive": these scripts also count as the writing systems they
# belong to, so Japanese (Hiragana + Katakana + Han) or Korean (Hangul + Han) is one.
_AUGMENTED = {"Hani": {"Hanb", "Jpan", "Kore"}, "Hira": {"Jpan"}, "Kana": {"Jpan"},
              "Hang": {"Kore"}, "Bopo": {"Hanb"}}
_ANY_SCRIPT = frozenset({"Zyyy", "Zinh"})  # Common and Inherited go with every script


def _script_set(codes: str) -> frozenset[str] | None:
    scripts = set(codes.split())
    if scripts <= _ANY_SCRIPT:
        return None
    for code in tuple(scripts):
        scripts |= _AUGMENTED.get(code, set())
    return frozenset(scripts)


_SCRIPT_SETS = tuple(map(_script_set, _data.SCRIPT_SETS.split(";")))
_SCRIPT_STARTS = tuple(map(ord, _data.SCRIPT_STARTS))
_SCRIPT_RUNS = tuple(map(ord, _data.SCRIPT_RUNS))
_SCRIPT_NAMES = dict(entry.split(":") for entry in _data.SCRIPT_NAMES.split(";"))


def _scripts_of(char: str) -> frozenset[str] | None:
    """The char's Script_Extensions, augmented; None for Common and Inherited."""
    run = bisect.bisect_right(_SCRIPT_STARTS, ord(char)) - 1
    return _SCRIPT_SETS[_SCRIPT_RUNS[run]]


def _mixed_scripts(nick: str) -> tuple[str, str] | None:
    """The names of two scripts `nick` mixes, or None if one script covers it all.

    UTS #39's single-script test: the intersection of the characters' script sets is
    not empty. The names are for a student: the scripts of the first character that
    breaks the intersection and of what came before it.
    """
    if nick.isascii():
        return None  # ASCII letters are all Latin
    common = None
    for char in nick:
        scripts = _scripts_of(char)
        if scripts is None:
            continue
        if common is None:
            common = scripts
        elif common & scripts:
            common &= scripts
        else:
            return _script_name(common), _script_name(scripts)
    return None


def _script_name(scripts: frozenset[str]) -> str:
    # A script set may hold the augmented codes (Jpan ...): name a real script.
    real = sorted(code for code in scripts if code in _SCRIPT_NAMES)
    return _SCRIPT_NAMES[real[0]] if real else "another"
