"""protocol/irc.py without sockets: parsing, formatting, splitting, framing."""

import pytest
from hypothesis import given, strategies as st

from protocol import irc
from protocol.framing import TooLong


# ---- parsing ---------------------------------------------------------------------

def test_a_plain_command_with_middle_and_trailing_parameters():
    line = irc.parse(b"PRIVMSG #classroom :hello there: friends")
    assert line == irc.Line("PRIVMSG", ("#classroom", "hello there: friends"))


def test_prefix_tags_and_escapes():
    line = irc.parse(rb"@time=2026-11-21T09:00:00.000Z;msgid=a\sb\:c\\d;+draft/x "
                     rb":alice!a@host PRIVMSG bob :hi")
    assert line.prefix == "alice!a@host"
    assert line.tags == {"time": "2026-11-21T09:00:00.000Z", "msgid": "a b;c\\d",
                         "+draft/x": ""}
    assert line.command == "PRIVMSG" and line.params == ("bob", "hi")


def test_commands_are_upper_cased_and_numerics_kept():
    assert irc.parse(b"nick alice").command == "NICK"
    assert irc.parse(b":srv 001 alice :Welcome").command == "001"


def test_extra_spaces_and_an_empty_trailing_parameter():
    assert irc.parse(b"USER  alice   0 *  :").params == ("alice", "0", "*", "")
    assert irc.parse(b"TOPIC #c :").params == ("#c", "")
    assert irc.parse(b"QUIT").params == ()


def test_the_fifteenth_parameter_takes_the_rest():
    line = irc.parse(b"X " + b" ".join(b"p%d" % i for i in range(20)))
    assert len(line.params) == 15
    assert line.params[-1] == " ".join(f"p{i}" for i in range(14, 20))


def test_utf8_and_what_is_not():
    assert irc.parse("NICK Zoë".encode()).params == ("Zoë",)
    assert irc.parse(b"PRIVMSG #c :caf\xe9").params[1] == "caf\ufffd"


@pytest.mark.parametrize("raw", [b":only-a-prefix", b": NICK a", b"123X foo", b"!!! x",
                                 b"", b"@a=b", b"NICK a\0b"])
def test_what_is_not_irc_is_refused_with_the_protocols_error(raw):
    with pytest.raises(irc.RemoteProtocolError):
        irc.parse(raw)


def test_512_bytes_without_tags_but_more_with_them():
    body = b"PRIVMSG #c :" + b"x" * (510 - 12)
    assert irc.parse(body).params[1] == "x" * 498           # 510 + CR LF = 512
    with pytest.raises(irc.RemoteProtocolError) as refusal:
        irc.parse(body + b"x")
    assert refusal.value.numeric == 417
    tags = b"@" + b"k=" + b"v" * 8000 + b" "
    assert irc.parse(tags + body).tags["k"] == "v" * 8000
    with pytest.raises(irc.RemoteProtocolError):
        irc.parse(b"@k=" + b"v" * 8200 + b" " + body)


@given(st.binary(max_size=600))
def test_any_bytes_are_parsed_or_refused_with_the_protocols_error(raw):
    try:
        line = irc.parse(raw)
    except irc.RemoteProtocolError:
        return
    assert line.command


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n\0 :",
                                               blacklist_categories=("Cs",)),
                        min_size=1, max_size=10), max_size=5),
       st.text(alphabet=st.characters(blacklist_characters="\r\n\0",
                                      blacklist_categories=("Cs",)), max_size=50))
def test_what_line_writes_parse_reads_back(middle, trailing):
    data = irc.line("PRIVMSG", *middle, trailing, prefix="a!b@c")
    parsed = irc.parse(data[:-2])
    assert parsed.params == (*middle, trailing) and parsed.prefix == "a!b@c"


# ---- writing ---------------------------------------------------------------------

def test_line_puts_a_colon_only_where_needed_unless_asked():
    assert irc.line("JOIN", "#classroom", prefix="a!a@h") == b":a!a@h JOIN #classroom\r\n"
    assert irc.line("PRIVMSG", "#c", "hi there") == b"PRIVMSG #c :hi there\r\n"
    assert irc.line("PRIVMSG", "#c", "hi", trailing=True) == b"PRIVMSG #c :hi\r\n"
    assert irc.line("PRIVMSG", "#c", ":)") == b"PRIVMSG #c ::)\r\n"
    assert irc.line("PRIVMSG", "#c", "") == b"PRIVMSG #c :\r\n"


def test_tags_are_escaped():
    data = irc.line("PRIVMSG", "#c", "x", tags={"time": "2026", "k": "a b;c"})
    assert data == b"@time=2026;k=a\\sb\\:c PRIVMSG #c x\r\n"


@pytest.mark.parametrize("params", [("a b", "text"), ("", "text"), (":x", "t"),
                                    ("#c", "two\nlines"), ("#c", "cr\rhere")])
def test_we_never_send_what_irc_cannot_carry(params):
    with pytest.raises(irc.LocalProtocolError):
        irc.line("PRIVMSG", *params)


@pytest.mark.parametrize("code, target, params, expected", [
    (1, "alice", ("Welcome",), ":srv 001 alice :Welcome"),
    (5, "alice", ("NICKLEN=24", "are supported"), ":srv 005 alice NICKLEN=24 :are supported"),
    (221, "alice", ("+i",), ":srv 221 alice :+i"),
    (301, "alice", ("bob", "gone"), ":srv 301 alice bob :gone"),
    (302, "alice", ("bob=+bob@h",), ":srv 302 alice :bob=+bob@h"),
    (303, "alice", ("bob",), ":srv 303 alice :bob"),
    (305, "alice", ("back",), ":srv 305 alice :back"),
    (311, "alice", ("bob", "bob", "h", "*", "Bob B"), ":srv 311 alice bob bob h * :Bob B"),
    (313, "alice", ("t", "is the teacher"), ":srv 313 alice t :is the teacher"),
    (315, "alice", ("#c", "End"), ":srv 315 alice #c :End"),
    (318, "alice", ("bob", "End"), ":srv 318 alice bob :End"),
    (324, "alice", ("#c", "+nt"), ":srv 324 alice #c :+nt"),
    (331, "alice", ("#c", "No topic"), ":srv 331 alice #c :No topic"),
    (332, "alice", ("#c", "Fractions"), ":srv 332 alice #c :Fractions"),
    (352, "alice", ("#c", "bob", "h", "srv", "bob", "H+", "0 Bob"),
     ":srv 352 alice #c bob h srv bob H+ :0 Bob"),
    (353, "alice", ("=", "#c", "@t +bob"), ":srv 353 alice = #c :@t +bob"),
    (366, "alice", ("#c", "End"), ":srv 366 alice #c :End"),
    (368, "alice", ("#c", "End"), ":srv 368 alice #c :End"),
    (401, "alice", ("zoe", "No such nick"), ":srv 401 alice zoe :No such nick"),
    (403, "alice", ("#x", "No such channel"), ":srv 403 alice #x :No such channel"),
    (404, "alice", ("#c", "muted"), ":srv 404 alice #c :muted"),
    (421, "alice", ("FOO", "Unknown command"), ":srv 421 alice FOO :Unknown command"),
    (432, None, ("bad!nick", "Erroneous"), ":srv 432 * bad!nick :Erroneous"),
    (433, None, ("bob", "taken"), ":srv 433 * bob :taken"),
    (451, None, ("register first",), ":srv 451 * :register first"),
    (461, "alice", ("USER", "Not enough"), ":srv 461 alice USER :Not enough"),
    (462, "alice", ("again?",), ":srv 462 alice :again?"),
    (464, None, ("Password incorrect",), ":srv 464 * :Password incorrect"),
    (482, "alice", ("#c", "teacher only"), ":srv 482 alice #c :teacher only"),
])
def test_numerics(code, target, params, expected):
    assert irc.numeric("srv", code, target, *params) == (expected + "\r\n").encode()


def test_server_time():
    assert irc.server_time(1763712060123) == "2025-11-21T08:01:00.123Z"
    assert irc.server_time(0) == "1970-01-01T00:00:00.000Z"


# ---- splitting -------------------------------------------------------------------

@pytest.mark.parametrize("char", ["a", "é", "€", "😀"])
def test_split_text_cuts_between_characters_within_the_budget(char):
    text = char * 1000
    pieces = irc.split_text(text, 100)
    assert "".join(pieces) == text
    assert all(len(p.encode()) <= 100 for p in pieces)
    assert all(len(p.encode()) > 100 - len(char.encode()) for p in pieces[:-1])


def test_split_text_prefers_a_space_near_the_end():
    pieces = irc.split_text("word " * 50, 52)
    assert all(not p.startswith(" ") and len(p.encode()) <= 52 for p in pieces)
    assert " ".join(pieces).split() == ["word"] * 50


def test_short_text_is_one_piece():
    assert irc.split_text("hi", 400) == ["hi"]
    assert irc.split_text("", 400) == [""]


@given(st.text(min_size=1, max_size=3000), st.integers(min_value=4, max_value=500))
def test_split_text_loses_nothing_but_spaces_at_cuts(text, budget):
    pieces = irc.split_text(text, budget)
    assert all(len(p.encode()) <= budget for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_strip_formatting():
    assert irc.strip_formatting("\x02bold\x02 \x0304,12red\x03 \x1fu\x0f") == "bold red u"
    assert irc.strip_formatting("\x03 3 apples") == " 3 apples"


# ---- framing ---------------------------------------------------------------------

def feed_all(chunks):
    reader = irc.LineReader()
    frames = []
    for chunk in chunks:
        frames += reader.feed(chunk)
    return frames + reader.finish()


def test_byte_by_byte_feeding_gives_the_same_lines():
    data = b"CAP LS 302\r\nNICK alice\r\n\r\nUSER a 0 * :A\nPING :x"
    whole = feed_all([data])
    assert whole == [b"CAP LS 302", b"NICK alice", b"USER a 0 * :A", b"PING :x"]
    assert feed_all([bytes([b]) for b in data]) == whole
    for cut in range(len(data) + 1):
        assert feed_all([data[:cut], data[cut:]]) == whole


def test_ten_megabytes_without_a_newline_is_one_too_long_and_nothing_kept():
    reader = irc.LineReader()
    frames = []
    for _ in range(1000):
        frames += reader.feed(b"x" * 10_000)
    frames += reader.feed(b"\r\nNICK a\r\n")
    assert len(frames) == 2 and type(frames[0]) is TooLong and frames[1] == b"NICK a"


def test_a_10_kB_line_is_too_long():
    assert type(feed_all([b"PRIVMSG #c :" + b"x" * 10_000 + b"\r\n"])[0]) is TooLong
