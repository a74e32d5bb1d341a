"""Every sentence the window shows goes through the catalog, and each language has them all."""

import ast
import re
from pathlib import Path

import pytest

from desktop_client import i18n, presenter as p, theme
from protocol.events import Joined, Welcome

SOURCE = Path(i18n.__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


WEB_CLIENT = SOURCE.parent / "web_client"
_WEB_CALL = re.compile(r'\b(n?t)\("((?:[^"\\]|\\.)*)"')
_WEB_ATTRIBUTE = re.compile(r'data-t(?:-[a-z]+)?="([^"]+)"')


def used_messages() -> dict:
    """What the desktop client's code and the browser page ask the one catalog for."""
    found = dict(i18n.source_messages())
    for path in sorted(WEB_CLIENT.glob("*.js")) + sorted(WEB_CLIENT.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        for kind, message in _WEB_CALL.findall(text):
            message = message.encode().decode("unicode_escape").encode("latin-1").decode()
            found[message] = found.get(message, False) or kind == "nt"
        for message in _WEB_ATTRIBUTE.findall(text):
            found.setdefault(message.replace("&amp;", "&"), False)
    return found


@pytest.mark.parametrize("code", ["ru", "pt"])
def test_every_message_is_translated_with_the_same_placeholders(code):
    catalog = i18n.load_catalog(code)
    forms = 3 if code == "ru" else 2
    for message, plural in used_messages().items():
        assert message in catalog, f"{code}: no translation for {message!r}"
        found = catalog[message]
        for text in (found if plural else [found]):
            assert isinstance(text, str) and text
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(message)), \
                (code, message, text)
        if plural:
            assert isinstance(found, list) and len(found) == forms, (code, message)
    assert set(catalog) <= set(used_messages()), "a translation nobody uses"


def test_no_widget_text_bypasses_the_catalog():
    """A literal sentence handed to a widget (text=, label=) or to a pane line is an
    untranslated string: this fails on it."""
    allowed = {"ClassChat", "★ ", "  ✓", "…", " → ", ": ", "\n", " ", "  "}
    offenders = []
    for path in SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            values = [k.value for k in node.keywords if k.arg in ("text", "label", "message")]
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("notice", "error_line", "separator", "Banner", "DialogError",
                        "ValueError", "AskPassword", "show_error", "title"):
                values += node.args[:2]
            for value in values:
                if (isinstance(value, ast.Constant) and isinstance(value.value, str)
                        and re.search(r"[A-Za-z]{2}", value.value)
                        and value.value not in allowed and not value.value.islower()):
                    offenders.append(f"{path.name}:{node.lineno}: {value.value!r}")
    assert offenders == []


def test_plural_rules_and_the_system_language(monkeypatch):
    i18n.set_language("ru")
    assert [i18n.ngettext("{n} online", "{n} online", n).format(n=n) for n in (1, 3, 5)] \
        == ["1 в сети", "3 в сети", "5 в сети"]
    assert i18n.ngettext("{n} new message ↓", "", 21).format(n=21) == "21 новое сообщение ↓"
    assert i18n.ngettext("{n} new message ↓", "", 12).format(n=12) == "12 новых сообщений ↓"
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert i18n.system_language() == "pt"
    monkeypatch.setenv("LANGUAGE", "de:ru")
    assert i18n.system_language() == "ru"
    assert i18n.set_language("xx_YY") == "en" and i18n._("Everyone") == "Everyone"


def test_the_presenter_speaks_russian_and_portuguese():
    i18n.set_language("ru")
    view = p.Presenter()
    view.connecting("алиса")
    lines = view.apply(Welcome("алиса", ("алиса", "боря"), False, (), "s"))
    assert "Добро пожаловать, алиса! В сети ещё 1 человек." in [line.text for line in lines]
    assert view.recipient_label() == "Кому: Все"
    assert p.local_nick_problem("два слова") == "В нике не может быть пробелов."
    i18n.set_language("pt")
    assert view.apply(Joined("carla", 0))[0].text.endswith("carla entrou")
    assert view.header_info() == "3 online"


def test_24_nick_colours_readable_on_every_band():
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert len(set(theme.NICK_COLOURS)) == p.NICK_COLOURS >= 24
    for colour in theme.NICK_COLOURS:
        for band in (theme.PANE_BG, theme.OWN_BG, theme.PRIVATE_BG):
            ratio = (luminance(band) + 0.05) / (luminance(colour) + 0.05)
            assert ratio >= 4.5, (colour, band, ratio)
    used = {p.nick_colour(f"student{i}") for i in range(300)}
    assert len(used) == 24
