import pytest

from protocol.errors import ProtocolError
from protocol.messages import clean_text


def test_control_characters_are_removed_but_tab_and_newline_stay():
    assert clean_text("a\x00b\x1bc\td\ne\x7ff\x85") == "abc\td\nef"


def test_surrounding_white_space_is_stripped():
    assert clean_text("  \n hi there \t\n") == "hi there"


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\n\t\n"])
def test_empty_after_cleaning_is_refused(text):
    with pytest.raises(ProtocolError) as refused:
        clean_text(text)
    assert refused.value.code == "empty_message"


def test_length_is_counted_in_code_points_after_cleaning():
    assert clean_text("😀" * 2000) == "😀" * 2000
    assert clean_text(" " + "x" * 2000 + "\x00 ") == "x" * 2000
    with pytest.raises(ProtocolError) as refused:
        clean_text("x" * 2001)
    assert refused.value.code == "message_too_long"


def test_text_loses_what_reorders_or_hides_but_keeps_emoji_sequences():
    from protocol.messages import clean_text
    assert clean_text("evil\u202egnp.exe") == "evilgnp.exe"            # right-to-left override
    assert clean_text("pay\u200bpal\u2066x\u2069") == "paypalx"         # zero-width, isolates
    assert clean_text("coder 👩\u200d💻") == "coder 👩\u200d💻"           # a joiner in an emoji
    assert clean_text("a\u200db") == "ab"                                # ... not between letters


def test_a_message_has_at_most_20_lines():
    import pytest
    from protocol.errors import ProtocolError
    from protocol.messages import clean_text
    assert clean_text("\n".join("x" * 20)).count("\n") == 19
    with pytest.raises(ProtocolError) as refused:
        clean_text("x" + "\n" * 1998 + "y")
    assert refused.value.code == "message_too_long" and "20 lines" in refused.value.message
