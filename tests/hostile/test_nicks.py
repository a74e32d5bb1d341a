"""Nicknames that try to look like nothing, like someone else, or like the server."""

import unicodedata

import pytest

from tests.hostile.conftest import error_code, fresh_nick

INVISIBLE_OR_CONTROL = {
    "control char": "bad\u0001guy",
    "DEL": "bad\u007fguy",
    "C1 control": "bad\u0085guy",
    "newline": "two\nlines",
    "tab": "tab\tbed",
    "bidi override RLO": "\u202etxt.exe",
    "bidi override LRO": "ab\u202dc",
    "bidi isolate": "a\u2066b",
    "right-to-left mark": "a\u200fb",
    "zero-width space": "ad\u200bmin",
    "zero-width joiner": "a\u200db",
    "zero-width non-joiner": "a\u200cb",
    "byte order mark": "\ufeffalice",
    "soft hyphen": "ali\u00adce",
    "word joiner": "a\u2060b",
    "Hangul filler U+3164": "\u3164",
    "Hangul filler U+115F": "x\u115f",
    "Hangul filler U+1160": "x\u1160",
    "halfwidth Hangul filler": "\uffa0\uffa0",
    "braille blank": "\u2800",
    "space": "two words",
    "no-break space": "a\u00a0b",
    "ideographic space": "a\u3000b",
    "combining mark first": "\u0301abc",
    "empty": "",
    "25 characters": "a" * 25,
    "tag character": "a\U000e0041",
    "private use": "a\ue000",
}


@pytest.mark.parametrize("nick", INVISIBLE_OR_CONTROL.values(), ids=INVISIBLE_OR_CONTROL.keys())
def test_invisible_control_and_filler_nicks(pair, abuser, nick):
    peer = abuser()
    peer.send({"type": "login", "nick": nick})
    assert error_code(peer) == "nick_invalid"
    peer.send({"type": "whoami"})
    assert error_code(peer) == "not_logged_in"
    pair.assert_chatting()


def test_fine_nicks_of_any_script(pair, abuser):
    for nick in ["Ёжик", "José", "Zoë_2", "a-b.c", "李小龙", "x" * 24, "ﾊﾝｶｸ", "e\u0301e"]:
        peer = abuser()
        welcome = peer.login(nick)
        assert welcome["nick"] == unicodedata.normalize("NFC", nick)
        peer.close()
        pair.next_event(pair.alice, "left", nick=welcome["nick"])
    pair.assert_chatting()


def collisions(nick: str) -> list[str]:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in nick)
    return [nick.upper(), nick.lower(), nick.capitalize(), nick.swapcase(), fullwidth,
            fullwidth.upper()]


def test_case_and_fullwidth_collisions(pair, abuser):
    for taken in (pair.alice.nick, pair.bob.nick):
        for twin in collisions(taken):
            peer = abuser()
            peer.send({"type": "login", "nick": twin})
            assert error_code(peer) == "nick_taken", twin
    pair.assert_chatting()


@pytest.mark.parametrize("first,twin", [
    ("Jos\u00e9", "Jose\u0301"),          # NFC: composed and decomposed
    ("ﬀ", "ff"),                          # compatibility ligature
    ("\u212aelvin", "kelvin"),            # KELVIN SIGN
    ("σίσυφος", "ΣΊΣΥΦΟΣ"),               # Greek final sigma
    ("straße", "STRASSE"),                # German sharp s
    ("ａｌｉｃｅ", "Alice"),
])
def test_lookalike_collisions(pair, abuser, first, twin):
    holder = abuser()
    welcome = holder.login(first)
    other = abuser()
    other.send({"type": "login", "nick": twin})
    assert error_code(other) == "nick_taken", twin
    # Once the holder leaves, the name is free again.
    holder.close()
    pair.next_event(pair.alice, "left", nick=welcome["nick"])
    other.send({"type": "login", "nick": twin})
    assert other.recv()["type"] == "welcome"
    pair.assert_chatting()


RESERVED = ["server", "SERVER", "Server", "sErVeR", "ｓｅｒｖｅｒ", "everyone",
            "EVERYONE", "EveryOne", "all", "ALL", "All", "ａｌｌ", "ＡＬＬ"]


@pytest.mark.parametrize("nick", RESERVED)
def test_reserved_names_in_any_case(pair, abuser, nick):
    peer = abuser()
    peer.send({"type": "login", "nick": nick})
    assert error_code(peer) == "nick_invalid"
    text = abuser()
    text.send_raw(nick.encode() + b"\n")
    assert text.text().startswith("! nick_invalid: ")
    pair.assert_chatting()


def test_reserved_even_with_the_admin_password(pair, abuser, server):
    peer = abuser()
    peer.send({"type": "login", "nick": "Server", "password": server.admin_password})
    assert error_code(peer) == "nick_invalid"
    pair.assert_chatting()


def test_nick_checks_run_in_the_contract_order(pair, abuser):
    peer = abuser()
    # nick_invalid before bad_password, bad_password before nick_taken.
    peer.send({"type": "login", "nick": "bad nick", "password": "wrong"})
    assert error_code(peer) == "nick_invalid"
    peer.send({"type": "login", "nick": pair.alice.nick, "password": "wrong"})
    assert error_code(peer) == "bad_password"
    peer.send({"type": "login", "nick": pair.alice.nick.upper()})
    assert error_code(peer) == "nick_taken"
    peer.login(fresh_nick("late"))
    peer.send({"type": "login", "nick": "bad nick"})
    assert error_code(peer) == "already_logged_in"
    pair.assert_chatting()
