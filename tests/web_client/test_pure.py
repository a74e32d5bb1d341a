"""The page's pure parts in real Chromium, held against the Python the server runs:
SHA-256 and HMAC (the admin proof), nick colours and keys, the typed flags."""

import hashlib
import hmac

from desktop_client.presenter import nick_colour
from protocol import auth, nicks
from protocol.errors import ProtocolError
from protocol.text_codec import parse_line
from tests.web_client.conftest import page_errors, run_module

MESSAGES = ["", "abc", "a" * 55, "a" * 56, "a" * 63, "a" * 64, "a" * 65, "b" * 1000,
            "Привет, класс! 🎉", "\u00e9\u0301\U0001F600\x00end"]


def test_page_loads_under_the_servers_csp_without_errors(browser, chat_server):
    browser.get(f"http://127.0.0.1:{chat_server.port}/")
    assert browser.title == "ClassChat"
    assert browser.find_element("id", "nick").is_displayed()
    assert page_errors(browser) == []


def test_sha256_and_hmac_match_hashlib(browser, chat_server):
    browser.get(f"http://127.0.0.1:{chat_server.port}/")
    keys = ["key", "k" * 64, "k" * 65, "ключ"]
    got = run_module(browser, """
        const {sha256, hmacSha256, hex} = await mod('sha256.js');
        const [messages, keys] = args;
        return {digests: messages.map((m) => hex(sha256(m))),
                macs: keys.flatMap((k) => messages.map((m) => hex(hmacSha256(k, m))))};
    """, MESSAGES, keys)
    assert got["digests"] == [hashlib.sha256(m.encode()).hexdigest() for m in MESSAGES]
    assert got["macs"] == [hmac.new(k.encode(), m.encode(), hashlib.sha256).hexdigest()
                           for k in keys for m in MESSAGES]
    # FIPS 180-4's own example, in case hashlib and the page were both wrong the same way.
    assert got["digests"][1] == ("ba7816bf8f01cfea414140de5dae2223"
                                 "b00361a396177a9cb410ff61f20015ad")


def test_admin_proofs_match_protocol_auth(browser, chat_server):
    browser.get(f"http://127.0.0.1:{chat_server.port}/")
    cases = [("secret", "n0nce", "c1", "Mr.Smith"), ("пароль ü", auth.make_nonce(),
             "ab" * 16, "Учитель"), ("", "x", "y", "z")]
    got = run_module(browser, """
        const {passwordKey, clientProof, serverProof, hex} = await mod('sha256.js');
        return args[0].map(([password, nonce, cnonce, nick]) => {
            const key = passwordKey(password);
            return [hex(key), clientProof(key, nonce, cnonce, nick), serverProof(key, nonce, cnonce)];
        });
    """, cases)
    for (password, nonce, cnonce, nick), (key, client, server) in zip(cases, got):
        expected = auth.password_key(password)
        assert key == expected.hex()
        assert client == auth.client_proof(expected, nonce, cnonce, nick)
        assert server == auth.server_proof(expected, nonce, cnonce)


NICKS = ["alice", "Alice", "ＡＬＩＣＥ", "zoë", "Zoë", "Тeacher", "Мария", "straße",
         "Mr.Smith", "bob_2", "李雷", "élodie"]


def test_nick_colours_and_keys_match_the_desktop_client(browser, chat_server):
    browser.get(f"http://127.0.0.1:{chat_server.port}/")
    got = run_module(browser, """
        const {nickColour, nickKey} = await mod('text.js');
        return args[0].map((n) => [nickColour(n), nickKey(n)]);
    """, NICKS)
    assert [colour for colour, _key in got] == [nick_colour(n) for n in NICKS]
    assert [key for _colour, key in got] == [nicks.key(n) for n in NICKS]


LINES = ["hello", "-1/2 + 3/4 = 1/4", "- first item", "-all -foo bar", "-to bob psst now",
         "-TO bob hi", "-to bob", "-users", "-whoami", "-help", "-exit", "-foo", "-all",
         "-kick zoe 15m talking", "-kick zoe 15", "-kick zoe 15 minutes of fame", "-kick zoe",
         "-mute all", "-mute zoe", "-unmute Everyone", "-slow 30", "-slow 30s", "-slow x",
         "-slow 4000", "-bans", "-unban zoe", "-unban", "down server", "down server bye all",
         "down serverx", "-Привет", "-3 is less"]


def _python_parse(line):
    try:
        command = parse_line(line, logged_in=True, admin=True)
    except ProtocolError as problem:
        return {"error": problem.code}
    name = type(command).__name__
    return {"Say": lambda c: {"type": "say", "text": c.text, "to": c.to},
            "AskUsers": lambda c: {"type": "users"}, "AskWhoami": lambda c: {"type": "whoami"},
            "Help": lambda c: {"type": "help"}, "Logout": lambda c: {"type": "logout"},
            "Kick": lambda c: {"type": "kick", "nick": c.nick, "reason": c.reason,
                               "minutes": c.minutes},
            "Mute": lambda c: {"type": "mute", "nick": c.nick},
            "Unmute": lambda c: {"type": "unmute", "nick": c.nick},
            "Slow": lambda c: {"type": "slow", "seconds": c.seconds},
            "AskBans": lambda c: {"type": "bans"}, "Unban": lambda c: {"type": "unban", "nick": c.nick},
            "Down": lambda c: {"type": "down", "reason": c.reason}}[name](command)


def test_typed_flags_parse_as_the_servers_text_dialect(browser, chat_server):
    browser.get(f"http://127.0.0.1:{chat_server.port}/")
    got = run_module(browser, """
        const {parseLine} = await mod('text.js');
        return args[0].map((line) => {
            try {
                const c = parseLine(line, true);
                delete c.plain;
                return c;
            } catch (e) { return {error: e.code}; }
        });
    """, LINES)
    for line, page in zip(LINES, got):
        assert page == _python_parse(line), line
