"""Turn the XWD screen dump Xvfb keeps under -fbdir into a PNG, with zlib and struct only."""

import struct
import zlib

_HEADER_WORDS = 25


def read_xwd(path: str):
    """-> (width, height, rows of RGB bytes). Only the 32-bit ZPixmap Xvfb writes."""
    with open(path, "rb") as f:
        data = f.read()
    header = struct.unpack(">25I", data[:_HEADER_WORDS * 4])
    header_size, width, height = header[0], header[4], header[5]
    bits_per_pixel, bytes_per_line, ncolors = header[11], header[12], header[19]
    byte_order = header[7]  # 0 = LSBFirst
    if bits_per_pixel != 32:
        raise ValueError(f"expected a 32-bit XWD image, got {bits_per_pixel} bits")
    start = header_size + ncolors * 12
    rows = []
    for y in range(height):
        row = data[start + y * bytes_per_line:start + y * bytes_per_line + width * 4]
        if byte_order == 0:   # B G R X in memory
            rgb = bytearray(width * 3)
            rgb[0::3] = row[2::4]
            rgb[1::3] = row[1::4]
            rgb[2::3] = row[0::4]
        else:                 # X R G B
            rgb = bytearray(width * 3)
            rgb[0::3] = row[1::4]
            rgb[1::3] = row[2::4]
            rgb[2::3] = row[3::4]
        rows.append(bytes(rgb))
    return width, height, rows


def write_png(path: str, width: int, height: int, rows) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + row for row in rows)
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def crop(width, height, rows, box):
    """box = (left, top, right, bottom), clipped to the image."""
    left, top = max(0, box[0]), max(0, box[1])
    right, bottom = min(width, box[2]), min(height, box[3])
    cut = [row[left * 3:right * 3] for row in rows[top:bottom]]
    return right - left, bottom - top, cut


def xwd_to_png(xwd_path: str, png_path: str, box=None) -> None:
    width, height, rows = read_xwd(xwd_path)
    if box:
        width, height, rows = crop(width, height, rows, box)
    write_png(png_path, width, height, rows)
