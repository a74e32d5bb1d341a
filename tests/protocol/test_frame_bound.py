"""The largest frame the server can legitimately send fits the bound clients accept."""

from protocol import MAX_MESSAGE_CHARS, MAX_NICK_CHARS, MAX_SERVER_FRAME, json_codec, text_codec
from protocol.events import Message, UserList, Welcome

FOUR_BYTE_LETTER = "\U0001d400"   # MATHEMATICAL BOLD CAPITAL A: a letter of 4 UTF-8 bytes
EMOJI = "\U0001f600"


def nick(n: int) -> str:
    return FOUR_BYTE_LETTER * (MAX_NICK_CHARS - 5) + f"{n:05d}"


def test_the_largest_welcome_at_the_limits_fits_the_client_bound():
    users = tuple(nick(n) for n in range(10_000))
    history = tuple(
        Message(n + 1, 1_763_712_060_000, users[n], None, (EMOJI + '"') * (MAX_MESSAGE_CHARS // 2),
                seq=10**9 + n, cid="c" * 64, admin=True)
        for n in range(50))
    welcome = Welcome(users[0], users, True, history, "classchat/1.0", admins=users,
                      seq=10**9, session="s" * 24, heartbeat=20, grace=120,
                      muted=users, muted_all=True, slow=30)
    size = len(json_codec.encode_event(welcome))
    assert size < MAX_SERVER_FRAME, size
    assert len(text_codec.encode_event(welcome)) < MAX_SERVER_FRAME
    print(f"largest welcome: {size:,} bytes; bound {MAX_SERVER_FRAME:,}")


def test_a_user_list_of_620_users_is_over_the_client_frame_limit_and_within_the_bound():
    users = tuple(f"student-number-{n:03d}" for n in range(620))
    size = len(json_codec.encode_event(UserList(users)))
    assert 8192 < size < MAX_SERVER_FRAME
