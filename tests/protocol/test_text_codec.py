import pytest

from protocol.errors import ProtocolError
from protocol.events import (
    AskUsers, AskWhoami, Bye, Down, Error, Help, Identity, Joined, Kick, Left, Login,
    Logout, Message, Say, Shutdown, UserList, Welcome, AskBans, Unban, Mute, Unmute, Slow,
)
from protocol.text_codec import clock, format_event, parse_line


@pytest.mark.parametrize("line, command", [
    ("hello everyone", Say("hello everyone")),
    ("-all hello  there", Say("hello  there")),
    ("-to bob psst, hi", Say("psst, hi", "bob")),
    ("-to\tbob\thi", Say("hi", "bob")),
    ("-TO bob hi", Say("hi", "bob")),
    ("-users", AskUsers()),
    ("-whoami", AskWhoami()),
    ("-help", Help()),
    ("-exit", Logout()),
    ("-login alice", Login("alice")),
    ("-login alice s3cret", Login("alice", "s3cret")),
    ("-kick bob", Kick("bob")),
    ("-kick bob stop spamming", Kick("bob", "stop spamming")),
    ("-kick bob 15m stop spamming", Kick("bob", "stop spamming", 15)),
    ("-kick bob 0m", Kick("bob", None, 0)),
    ("-kick bob 3", Kick("bob", None, 3)),
    ("-kick bob 3 times spam", Kick("bob", "3 times spam")),
    ("-bans", AskBans()),
    ("-unban bob", Unban("bob")),
    ("-mute bob", Mute("bob")),
    ("-mute all", Mute(None)),
    ("-unmute everyone", Unmute(None)),
    ("-slow 30", Slow(30)),
    ("-slow 0", Slow(0)),
    ("down serverless", Say("down serverless")),
    ("downright rude", Say("downright rude")),
    # Only a dash and a letter make a flag: these are messages.
    ("-1/2 + 3/4 = 1/4", Say("-1/2 + 3/4 = 1/4")),
    ("-3 is smaller than -2", Say("-3 is smaller than -2")),
    ("- item one", Say("- item one")),
    ("--", Say("--")),
])
def test_flag_commands(line, command):
    assert parse_line(line, logged_in=True) == command


@pytest.mark.parametrize("line, command", [
    ("down server", Down(None)),
    ("down server end of lesson", Down("end of lesson")),
])
def test_down_server_is_a_command_for_an_admin_only(line, command):
    assert parse_line(line, logged_in=True, admin=True) == command
    assert parse_line(line, logged_in=True, admin=False) == Say(line)


def test_an_unknown_word_flag_says_how_to_send_the_line():
    with pytest.raises(ProtocolError) as refused:
        parse_line("-foo bar", logged_in=True)
    assert refused.value.code == "unknown_type"
    assert "-all -foo bar" in refused.value.message


def test_before_login_a_plain_line_is_the_nickname():
    assert parse_line("alice", logged_in=False) == Login("alice")
    assert parse_line("  alice  ", logged_in=False) == Login("alice")
    assert parse_line("-users", logged_in=False) == AskUsers()
    assert parse_line("down server", logged_in=False) == Login("down server")


@pytest.mark.parametrize("line, usage", [
    ("-to", "-to NICK TEXT"), ("-to bob", "-to NICK TEXT"), ("-to bob   ", "-to NICK TEXT"),
    ("-all", "-all TEXT"), ("-login", "-login NICK [PASSWORD]"), ("-kick", "-kick NICK"),
])
def test_missing_arguments_get_a_usage_line(line, usage):
    with pytest.raises(ProtocolError) as refused:
        parse_line(line)
    assert refused.value.code == "bad_frame"
    assert usage in refused.value.message


def test_unknown_flag_points_to_help():
    with pytest.raises(ProtocolError) as refused:
        parse_line("-teleport home")
    assert refused.value.code == "unknown_type"
    assert "-help" in refused.value.message


TS = 1700000000000


def test_events_as_lines_for_people():
    hhmm = clock(TS)
    assert format_event(Message(1, TS, "alice", None, "hi")) == f"[{hhmm}] alice: hi"
    assert format_event(Message(1, TS, "alice", "bob", "psst")) == f"[{hhmm}] alice -> bob: psst"
    assert format_event(Joined("bob", TS)) == "* bob joined"
    assert format_event(Left("bob", "quit", TS)) == "* bob left (quit)"
    assert format_event(Left("bob", "kicked", TS, "spam")) == "* bob left (kicked: spam)"
    assert format_event(Error("nick_taken", "Taken.")) == "! nick_taken: Taken."
    assert format_event(UserList(("a", "b"))) == "* Online (2): a, b"
    assert format_event(Identity("a", True)) == "* You are a (admin)"
    assert "by alice" in format_event(Shutdown("alice", "bye"))
    assert "kicked" in format_event(Bye("kicked", "spam"))


def test_a_multi_line_message_is_indented_so_no_line_passes_for_a_message():
    shown = format_event(Message(1, TS, "a", None, "two\n[09:00] bob: lines"))
    first, second = shown.split("\n")
    assert first.endswith("] a: two")
    assert second == " " * len(first[:-3]) + "[09:00] bob: lines"


def test_runs_of_spaces_cannot_pad_one_line_into_three():
    forged = "hi" + " " * 78 + "[09:00] teacher: homework cancelled"
    assert format_event(Message(1, TS, "eve", None, forged)).endswith(
        "eve: hi [09:00] teacher: homework cancelled")


def test_a_reason_stays_one_line():
    assert "\n" not in format_event(Bye("kicked", "two\nlines"))


def test_welcome_shows_history_and_who_is_online():
    welcome = Welcome("bob", ("alice", "bob"), False,
                      (Message(1, TS, "alice", None, "earlier"),), "classchat/1.0")
    text = format_event(welcome)
    assert "Welcome, bob" in text
    assert "alice: earlier" in text
    assert "Online (2): alice, bob" in text
    assert "-help" in text
