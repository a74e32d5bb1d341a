"""The tiny XWD -> PNG converter the screenshot script uses."""

import struct
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "screenshots"))
import xwd  # noqa: E402


def fake_xwd(path, width=3, height=2):
    header = [0] * 25
    header[0], header[4], header[5] = 100, width, height
    header[7], header[11], header[12], header[19] = 0, 32, width * 4, 0
    pixels = b"".join(bytes((x * 10, y * 20, 200, 0)) for y in range(height)
                      for x in range(width))           # B G R X
    path.write_bytes(struct.pack(">25I", *header) + b"\0" * 0 + pixels)


def test_xwd_becomes_a_valid_png(tmp_path):
    source, target = tmp_path / "screen.xwd", tmp_path / "shot.png"
    fake_xwd(source)
    xwd.xwd_to_png(str(source), str(target), box=(1, 0, 3, 2))
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (2, 2)
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    raw = zlib.decompress(data[idat + 4:idat + 4 + length])
    assert raw[:7] == bytes((0, 200, 0, 10, 200, 0, 20))   # filter byte, then R G B
