"""A tiny pure-stdlib PNG plot of the scaling curve (zlib + struct, no matplotlib).

Two panels, log-log: deliveries/s vs clients and p99 latency vs clients, one
coloured line per server, labels in a 3x5 pixel font scaled up.  Deliberately
simple: it is a picture of bench/results/*.json, not a plotting library.
"""

import math
import struct
import zlib

COLORS = {"project": (214, 39, 40), "asyncio": (31, 119, 180), "threaded": (44, 160, 44)}
OTHER = (148, 103, 189)
GREY = (200, 200, 200)
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)

FONT = {  # 3x5 glyphs, rows top to bottom
    "0": ["###", "#.#", "#.#", "#.#", "###"], "1": [".#.", "##.", ".#.", ".#.", "###"],
    "2": ["###", "..#", "###", "#..", "###"], "3": ["###", "..#", ".##", "..#", "###"],
    "4": ["#.#", "#.#", "###", "..#", "..#"], "5": ["###", "#..", "###", "..#", "###"],
    "6": ["###", "#..", "###", "#.#", "###"], "7": ["###", "..#", ".#.", ".#.", ".#."],
    "8": ["###", "#.#", "###", "#.#", "###"], "9": ["###", "#.#", "###", "..#", "###"],
    "a": [".#.", "#.#", "###", "#.#", "#.#"], "b": ["##.", "#.#", "##.", "#.#", "##."],
    "c": [".##", "#..", "#..", "#..", ".##"], "d": ["##.", "#.#", "#.#", "#.#", "##."],
    "e": ["###", "#..", "##.", "#..", "###"], "f": ["###", "#..", "##.", "#..", "#.."],
    "g": [".##", "#..", "#.#", "#.#", ".##"], "h": ["#.#", "#.#", "###", "#.#", "#.#"],
    "i": ["###", ".#.", ".#.", ".#.", "###"], "j": ["..#", "..#", "..#", "#.#", ".#."],
    "k": ["#.#", "#.#", "##.", "#.#", "#.#"], "l": ["#..", "#..", "#..", "#..", "###"],
    "m": ["#.#", "###", "###", "#.#", "#.#"], "n": ["##.", "#.#", "#.#", "#.#", "#.#"],
    "o": [".#.", "#.#", "#.#", "#.#", ".#."], "p": ["##.", "#.#", "##.", "#..", "#.."],
    "q": [".#.", "#.#", "#.#", "##.", ".##"], "r": ["##.", "#.#", "##.", "#.#", "#.#"],
    "s": [".##", "#..", ".#.", "..#", "##."], "t": ["###", ".#.", ".#.", ".#.", ".#."],
    "u": ["#.#", "#.#", "#.#", "#.#", "###"], "v": ["#.#", "#.#", "#.#", "#.#", ".#."],
    "w": ["#.#", "#.#", "###", "###", "#.#"], "x": ["#.#", "#.#", ".#.", "#.#", "#.#"],
    "y": ["#.#", "#.#", ".#.", ".#.", ".#."], "z": ["###", "..#", ".#.", "#..", "###"],
    ".": ["...", "...", "...", "...", ".#."], "/": ["..#", "..#", ".#.", "#..", "#.."],
    "-": ["...", "...", "###", "...", "..."], " ": ["...", "...", "...", "...", "..."],
    "(": [".#.", "#..", "#..", "#..", ".#."], ")": [".#.", "..#", "..#", "..#", ".#."],
}


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = bytearray(WHITE * (width * height))

    def dot(self, x, y, color):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            self.px[i:i + 3] = bytes(color)

    def line(self, x0, y0, x1, y1, color, width=1):
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for k in range(steps + 1):
            x = round(x0 + (x1 - x0) * k / steps)
            y = round(y0 + (y1 - y0) * k / steps)
            for dx in range(width):
                for dy in range(width):
                    self.dot(x + dx - width // 2, y + dy - width // 2, color)

    def text(self, x, y, s, color=BLACK, scale=2):
        for ch in s.lower():
            glyph = FONT.get(ch, FONT[" "])
            for row, bits in enumerate(glyph):
                for col, bit in enumerate(bits):
                    if bit == "#":
                        for dx in range(scale):
                            for dy in range(scale):
                                self.dot(x + col * scale + dx, y + row * scale + dy, color)
            x += 4 * scale

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.px[3 * self.w * y:3 * self.w * (y + 1)])
                       for y in range(self.h))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def short(v):
    for div, suffix in ((1e6, "m"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def panel(cv, x0, y0, w, h, title, series):
    """series: {name: [(clients, value), ...]}; log-log axes from the data."""
    cv.text(x0, y0 - 22, title)
    pts = [p for s in series.values() for p in s if p[1] and p[1] > 0]
    if not pts:
        cv.text(x0 + 10, y0 + h // 2, "no data")
        return
    lx = [math.log10(p[0]) for p in pts]
    ly = [math.log10(p[1]) for p in pts]
    xlo, xhi = math.floor(min(lx)), math.ceil(max(lx))
    ylo, yhi = math.floor(min(ly)), math.ceil(max(ly))
    xhi += xhi == xlo
    yhi += yhi == ylo
    sx = lambda v: x0 + round((math.log10(v) - xlo) / (xhi - xlo) * w)       # noqa: E731
    sy = lambda v: y0 + h - round((math.log10(v) - ylo) / (yhi - ylo) * h)   # noqa: E731
    for e in range(xlo, xhi + 1):
        x = sx(10 ** e)
        cv.line(x, y0, x, y0 + h, GREY)
        cv.text(x - 8, y0 + h + 8, short(10 ** e))
    for e in range(ylo, yhi + 1):
        y = sy(10 ** e)
        cv.line(x0, y, x0 + w, y, GREY)
        cv.text(x0 - 50, y - 5, short(10 ** e))
    cv.line(x0, y0, x0, y0 + h, BLACK)
    cv.line(x0, y0 + h, x0 + w, y0 + h, BLACK)
    cv.text(x0 + w // 2 - 30, y0 + h + 26, "clients")
    for name, s in series.items():
        s = [p for p in s if p[1] and p[1] > 0]
        color = COLORS.get(name, OTHER)
        for (ax, ay), (bx, by) in zip(s, s[1:]):
            cv.line(sx(ax), sy(ay), sx(bx), sy(by), color, width=3)
        for px, py in s:
            for d in range(-4, 5):
                cv.line(sx(px) - 4, sy(py) + d, sx(px) + 4, sy(py) + d, color)


def scaling_png(results, path):
    """Write the scaling plot; False when no server has scaling points."""
    thr, p99 = {}, {}
    for name, res in results.items():
        sc = res.get("scaling") if isinstance(res, dict) else None
        if not isinstance(sc, dict):
            continue
        ok = [p for p in sc.get("points", []) if p.get("status") == "ok"]
        if ok:
            thr[name] = [(p["clients"], p["deliveries_per_s"]) for p in ok]
            p99[name] = [(p["clients"], p["latency"]["p99_ms"]) for p in ok]
    if not thr:
        return False
    cv = Canvas(1000, 440)
    panel(cv, 80, 50, 360, 300, "deliveries/s", thr)
    panel(cv, 600, 50, 360, 300, "p99 latency ms", p99)
    for i, name in enumerate(thr):
        color = COLORS.get(name, OTHER)
        x = 80 + i * 220
        for d in range(12):
            cv.line(x, 405 + d, x + 24, 405 + d, color)
        cv.text(x + 32, 407, name)
    path.write_bytes(cv.png())
    return True
