from protocol.framing import LineDecoder, TooLong


def decode_all(chunks, max_frame=8192):
    decoder = LineDecoder(max_frame)
    frames = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
    return frames + decoder.finish()


def test_lines_split_at_every_byte_decode_the_same():
    data = b'{"type":"ping"}\r\nhello\n\n   \nlast'
    whole = decode_all([data])
    assert whole == [b'{"type":"ping"}', b"hello", b"last"]
    for cut in range(len(data) + 1):
        assert decode_all([data[:cut], data[cut:]]) == whole
    assert decode_all([bytes([b]) for b in data]) == whole


def test_many_frames_in_one_packet():
    frames = decode_all([b"".join(b"line %d\n" % i for i in range(50))])
    assert frames == [b"line %d" % i for i in range(50)]


def test_frame_limit_counts_the_newline():
    limit = 16
    exactly = b"x" * (limit - 1) + b"\n"
    assert decode_all([exactly], limit) == [b"x" * (limit - 1)]
    over = b"y" * limit + b"\n"
    assert decode_all([over + b"ok\n"], limit) == [TooLong(b"y" * limit), b"ok"]


def test_over_long_line_is_reported_once_and_skipped_to_its_newline():
    decoder = LineDecoder(16)
    frames = []
    for _ in range(100):                       # 100 KB without a newline
        frames += decoder.feed(b"z" * 1000)
    assert frames == [TooLong(b"z" * 16)]
    assert decoder.buffered == 0               # nothing kept while discarding
    assert decoder.feed(b"zzz\nnext\n") == [b"next"]


def test_over_long_line_keeps_its_head_for_the_dialect():
    frames = decode_all([b'  {"type":' + b"a" * 100 + b"\n"], 32)
    assert frames == [TooLong(b'  {"type":' + b"a" * 22)]


def test_end_of_stream_inside_an_over_long_line_yields_nothing_more():
    decoder = LineDecoder(8)
    assert decoder.feed(b"123456789") == [TooLong(b"12345678")]
    assert decoder.finish() == []


def test_crlf_and_blank_lines():
    assert decode_all([b"a\r\n\r\n \t \r\nb\n"]) == [b"a", b"b"]
