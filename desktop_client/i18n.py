"""Translations: a gettext-like API over one JSON catalog per language.

The catalogs are `desktop_client/locale/<code>.json`: `{"English text": "translation"}`,
or, for a text with a number, `{"singular": ["form 0", "form 1", …]}` in the order of
the language's plural rule (`PLURAL` below, as in gettext's `Plural-Forms`). English is
the source language and needs no file. Placeholders are `str.format` names (`{nick}`),
so the same files can serve the browser client later (plain JSON, no compiler).

`_()` and `ngettext()` look the text up at call time, so a string must be translated
where it is used, never stored translated in a module constant.
"""

import json
import locale
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": "English", "ru": "Русский", "pt": "Português"}
DEFAULT = "en"

PLURAL = {
    "en": lambda n: 0 if n == 1 else 1,
    "pt": lambda n: 0 if n == 1 else 1,
    "ru": lambda n: (0 if n % 10 == 1 and n % 100 != 11 else
                     1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2),
}

_language = DEFAULT
_catalog: dict = {}


def load_catalog(code: str) -> dict:
    if code == DEFAULT:
        return {}
    with open(LOCALE_DIR / f"{code}.json", encoding="utf-8") as file:
        return json.load(file)


def set_language(code: str) -> str:
    """Use `code` (en, ru, pt; a longer tag such as pt_BR.UTF-8 is cut); returns the
    language now in use (English for one we do not have)."""
    global _language, _catalog
    code = normalise(code) or DEFAULT
    _catalog = load_catalog(code)
    _language = code
    return code


def language() -> str:
    return _language


def normalise(tag) -> str:
    """'ru_RU.UTF-8' -> 'ru'; '' for a language we do not have."""
    if not tag:
        return ""
    code = str(tag).replace("-", "_").split("_")[0].split(".")[0].lower()
    return code if code in LANGUAGES else ""


def system_language() -> str:
    """The user's language from the environment (as gettext reads it), else the locale."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in os.environ.get(name, "").split(":"):
            if normalise(tag):
                return normalise(tag)
    try:
        return normalise(locale.getlocale()[0]) or DEFAULT
    except ValueError:
        return DEFAULT


def _(message: str) -> str:
    found = _catalog.get(message)
    return found if isinstance(found, str) and found else message


def ngettext(singular: str, plural: str, n: int) -> str:
    found = _catalog.get(singular)
    if isinstance(found, list) and found:
        index = PLURAL.get(_language, PLURAL["en"])(abs(int(n)))
        return found[min(index, len(found) - 1)]
    return singular if n == 1 else plural


def source_messages(folder: Path = Path(__file__).resolve().parent) -> dict:
    """Every text the code passes to `_()` / `ngettext()` as a literal: {msgid: plural?}.
    The tests hold each catalog against it (a missing translation fails)."""
    import ast
    found = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = node.args
            if node.func.id == "_" and args and isinstance(args[0], ast.Constant):
                found.setdefault(args[0].value, False)
            elif node.func.id == "ngettext" and args and isinstance(args[0], ast.Constant):
                found[args[0].value] = True
    return found
