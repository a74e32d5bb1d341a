"""The line decoder: any bytes, split anywhere, give the same frames."""

from hypothesis import given, settings, strategies as st

from protocol.framing import LineDecoder, TooLong

LIMIT = 16   # small, so hypothesis reaches the limit often

# Bytes rich in the ones that matter: newlines, carriage returns, blanks.
chunks = st.lists(st.sampled_from([b"\n", b"\r", b" ", b"\t", b"a", b"{", b"\xff", b"\x00"]),
                  max_size=120).map(b"".join)
any_bytes = st.one_of(chunks, st.binary(max_size=200))


def reference(data: bytes, limit: int) -> list:
    """What the contract says, written the slow, obvious way."""
    frames = []
    *lines, tail = data.split(b"\n")
    for line in lines:
        if len(line) + 1 > limit:
            frames.append(TooLong(line[:limit]))
            continue
        line = line[:-1] if line.endswith(b"\r") else line
        if line.strip():
            frames.append(line)
    if len(tail) >= limit:   # over the limit even before its newline comes
        frames.append(TooLong(tail[:limit]))
    return frames


def feed_split(data: bytes, cuts: list, limit: int = LIMIT):
    decoder = LineDecoder(limit)
    frames, start = [], 0
    for cut in sorted(cuts) + [len(data)]:
        frames += decoder.feed(data[start:cut])
        assert decoder.buffered <= limit    # memory stays bounded
        start = cut
    return frames, decoder


@settings(max_examples=400)
@given(any_bytes, st.data())
def test_any_split_gives_the_same_frames(data, draw):
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=12))
    whole, _ = feed_split(data, [])
    split, _ = feed_split(data, cuts)
    assert split == whole == reference(data, LIMIT)


@settings(max_examples=200)
@given(any_bytes)
def test_byte_by_byte_gives_the_same_frames(data):
    assert feed_split(data, list(range(len(data))))[0] == reference(data, LIMIT)


@settings(max_examples=200)
@given(any_bytes, st.data())
def test_a_last_line_without_newline_is_a_frame_at_the_end(data, draw):
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=6))
    frames, decoder = feed_split(data, cuts)
    tail = data.split(b"\n")[-1]
    last = decoder.finish()
    if 0 < len(tail) < LIMIT and tail.strip() and tail.rstrip(b"\r").strip():
        assert last == [tail[:-1] if tail.endswith(b"\r") else tail]
    else:
        assert last == []
    assert decoder.buffered == 0


@settings(max_examples=100)
@given(st.lists(st.binary(min_size=1, max_size=20).filter(lambda b: b"\n" not in b
                                                            and b.strip()), max_size=30))
def test_frames_come_out_as_they_went_in(lines):
    data = b"".join(line + b"\n" for line in lines)
    frames, _ = feed_split(data, list(range(0, len(data), 7)), limit=64)
    assert frames == [line[:-1] if line.endswith(b"\r") else line for line in lines
                      if (line[:-1] if line.endswith(b"\r") else line).strip()]
