import pytest

from protocol import nicks
from protocol.errors import ProtocolError


@pytest.mark.parametrize("nick", ["alice", "Алиса", "José", "x_y-z.1", "王小明",
                                  "a" * 24, "e\u0301cole"])
def test_valid_nicks(nick):
    assert nicks.problem(nicks.normalise(nick)) is None


@pytest.mark.parametrize("nick", [
    "", "a" * 25, "two words", "tab\there", "nul\x00", "bell\x07",
    "\u200balice",          # zero width space (Cf)
    "ali\u200dce",          # zero width joiner (Cf)
    "\u202eecila",          # right-to-left override (Cf)
    "\u3164", "a\u115f", "\uffa0b", "\u1160",  # blank Hangul fillers
    "\u0301e",              # a combining mark cannot come first
    "semi;colon", "at@sign", "emoji\U0001F600",
    "server", "SERVER", "Everyone", "all", "ＡＬＬ",
])
def test_invalid_nicks(nick):
    with pytest.raises(ProtocolError) as refused:
        nicks.validate(nick)
    assert refused.value.code == "nick_invalid"
    assert refused.value.message


def test_nicks_are_kept_in_nfc():
    assert nicks.validate("e\u0301") == "\u00e9"


def test_case_and_width_fold_to_one_key():
    assert nicks.key("Alice") == nicks.key("alice") == nicks.key("ＡＬＩＣＥ")
    assert nicks.key("STRASSE") == nicks.key("straße")
    assert nicks.key("Алиса") == nicks.key("АЛИСА")
    assert nicks.key("alice") != nicks.key("alicia")


def test_invisible_character_is_named_in_the_reason():
    assert "U+200B ZERO WIDTH SPACE" in nicks.problem("a\u200bb")
