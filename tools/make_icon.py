#!/usr/bin/env python3
"""Draw ClassChat's icon: desktop_client/icon.png (256 px) and icon.ico (16-256 px).

The same picture as the browser's web_client/icon.svg (a white speech bubble with three
dots on a blue rounded square), drawn with signed distances so the edges are smooth at
every size, and written with zlib and struct only. `--check` says whether the files in
the tree are what this script makes (the output is the same bytes every time).

    python tools/make_icon.py            # write the two files
    python tools/make_icon.py --check    # exit 1 if they differ
"""

import math
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG_PATH = ROOT / "desktop_client" / "icon.png"
ICO_PATH = ROOT / "desktop_client" / "icon.ico"
ICO_SIZES = (16, 24, 32, 48, 64, 256)
BLUE = (0x2F, 0x62, 0xC9)
WHITE = (0xFF, 0xFF, 0xFF)
# In the SVG's 64-unit square:
TAIL = ((26.0, 43.0), (20.0, 52.0), (20.0, 43.0), )
DOTS = ((24.0, 31.0), (32.0, 31.0), (40.0, 31.0))


def rounded_box(x, y, left, top, right, bottom, radius):
    """Signed distance to a rounded rectangle (negative inside)."""
    cx, cy = (left + right) / 2, (top + bottom) / 2
    hx, hy = (right - left) / 2 - radius, (bottom - top) / 2 - radius
    qx, qy = abs(x - cx) - hx, abs(y - cy) - hy
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def polygon(x, y, points):
    """Signed distance to a convex or concave polygon (negative inside)."""
    nearest = math.inf
    inside = False
    for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1]):
        ex, ey = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey)))
        nearest = min(nearest, math.hypot(x - ax - t * ex, y - ay - t * ey))
        if (ay > y) != (by > y) and x < ax + (y - ay) * ex / ey:
            inside = not inside
    return -nearest if inside else nearest


def pixels(size: int) -> bytes:
    """RGBA rows of the icon at `size` x `size`."""
    scale = size / 64.0
    cover = lambda distance: min(1.0, max(0.0, 0.5 - distance * scale))   # noqa: E731
    rows = bytearray()
    for row in range(size):
        y = (row + 0.5) / scale
        for column in range(size):
            x = (column + 0.5) / scale
            back = cover(rounded_box(x, y, 0, 0, 64, 64, 14))
            bubble = max(cover(rounded_box(x, y, 10, 18, 54, 44, 4)),
                         cover(polygon(x, y, list(TAIL))))
            dots = max(cover(math.hypot(x - dx, y - dy) - 3.0) for dx, dy in DOTS)
            white = bubble * (1.0 - dots)
            color = [round(b * (1 - white) + w * white) for b, w in zip(BLUE, WHITE)]
            rows += bytes((*color, round(back * 255)))
    return bytes(rows)


def png(size: int) -> bytes:
    data = pixels(size)
    stride = size * 4
    raw = b"".join(b"\0" + data[row * stride:(row + 1) * stride] for row in range(size))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)    # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def ico(images: dict[int, bytes]) -> bytes:
    """An .ico holding PNG images (Windows Vista and later read them)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = len(head) + 16 * len(images)
    entries, bodies = b"", b""
    for size, body in sorted(images.items()):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32,
                               len(body), offset + len(bodies))
        bodies += body
    return head + entries + bodies


def make() -> dict[Path, bytes]:
    images = {size: png(size) for size in ICO_SIZES}
    return {PNG_PATH: images[256], ICO_PATH: ico(images)}


def main(argv: list[str]) -> int:
    files = make()
    if argv[:1] == ["--check"]:
        stale = [str(path) for path, body in files.items()
                 if not path.exists() or path.read_bytes() != body]
        if stale:
            print(f"out of date (run python tools/make_icon.py): {', '.join(stale)}")
            return 1
        print("the icon files are up to date")
        return 0
    for path, body in files.items():
        path.write_bytes(body)
        print(f"wrote {path.relative_to(ROOT)} ({len(body):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
