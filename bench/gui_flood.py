#!/usr/bin/env python3
"""The desktop window under a flood: does it still answer a key press?

    python bench/gui_flood.py [--rate 1000] [--seconds 10] [--senders 30]

Starts its own Xvfb, the real server (`run_server.py --no-store --rate-limit 0` on
127.0.0.1, a free port) and, in a child process, 30 senders that together send
`--rate` messages a second for `--seconds` seconds, plus a watcher peer. This process
runs the real ChatApp (logged in as `reader`) in its Tk main loop. Every 250 ms a key
press is typed into the window's input box with xdotool (real X events: `type`, then
`key Return`); the latency is from the Return key to the watcher receiving the message.
Also measured: the process's memory (RSS) through the flood, and how long after the
last flood message was sent the window shows it (catching up). Loopback only; the
whole run is bounded (about `--seconds` + 10 s). Needs Xvfb and xdotool.
"""

import argparse
import json
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid="self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---- the load (a child process) -----------------------------------------------------------

def load(port: int, rate: float, seconds: float, senders: int) -> None:
    """Senders and the watcher, one thread, non-blocking sockets (every one is drained,
    so the server never drops them). Prints 'got TEXT T' and 'end T' lines."""
    sel = selectors.DefaultSelector()

    def connect(nick):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(json.dumps({"type": "login", "nick": nick}).encode() + b"\n")
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"nick": nick, "buf": b""})
        return s

    socks = [connect(f"s{i:02d}") for i in range(senders)]
    watcher = connect("watch")
    print("ready", flush=True)
    sys.stdin.readline()                      # the window is up: go
    interval = 1.0 / rate
    start = time.monotonic()
    total = int(rate * seconds)
    sent = 0
    end_at = None
    stop_at = start + seconds + 8
    while time.monotonic() < stop_at:
        now = time.monotonic()
        while sent < total and start + sent * interval <= now:
            text = "flood-last" if sent == total - 1 else f"flood {sent} " + "x" * 40
            data = json.dumps({"type": "msg", "text": text}).encode() + b"\n"
            try:
                socks[sent % senders].send(data)
            except BlockingIOError:
                pass
            sent += 1
            if sent == total:
                end_at = time.monotonic()
                print(f"end {end_at}", flush=True)
        for key, _ in sel.select(timeout=0.001):
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            if key.fileobj is not watcher or not data:
                continue
            lines = (key.data["buf"] + data).split(b"\n")
            key.data["buf"] = lines.pop()
            for line in lines:
                if b'"key-' in line and b'"from":"reader"' in line:
                    frame = json.loads(line)
                    print(f"got {frame['text']} {time.monotonic()}", flush=True)


# ---- the window (this process) --------------------------------------------------------------

def start_xvfb():
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x768x24", "-nolisten",
         "tcp", "-nocursor"], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    return process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--senders", type=int, default=30)
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load(args.load, args.rate, args.seconds, args.senders)
        return 0
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            sys.exit(f"gui_flood: {tool} is needed (apt-get install xvfb xdotool)")
    xvfb = start_xvfb()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1", "--port",
         str(port), "--no-store", "--rate-limit", "0", "--admin-password", "bench",
         "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = None
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        return run(args, port, server)
    finally:
        server.terminate()
        server.wait(10)
        xvfb.terminate()
        xvfb.wait(5)


def run(args, port, server) -> int:
    import tkinter
    from desktop_client import config
    from desktop_client.app import ChatApp

    os.environ.setdefault("CLASSCHAT_CONFIG_DIR", "/tmp/classchat-gui-flood")
    root = tkinter.Tk()
    root.geometry("880x580+0+0")
    app = ChatApp(root, config.Settings("127.0.0.1", port, ""), remember=False)
    app.connect("127.0.0.1", port, "reader", None)
    end = time.monotonic() + 10
    while not app.presenter.online and time.monotonic() < end:
        root.update()
        time.sleep(0.01)
    assert app.presenter.online, "the window did not log in"
    child = subprocess.Popen(
        [sys.executable, __file__, "--load", str(port), "--rate", str(args.rate),
         "--seconds", str(args.seconds), "--senders", str(args.senders)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert child.stdout.readline().strip() == "ready"
    for _ in range(30):                       # the 31 logins reach the window first
        root.update()
        time.sleep(0.01)
    root.focus_force()
    app.input.entry.focus_force()
    root.update()

    pressed: dict = {}
    received: dict = {}
    flood_end = []
    memory = []
    done = threading.Event()

    def read_child():
        for line in child.stdout:
            word, *rest = line.split()
            if word == "got":
                received[rest[0]] = float(rest[1])
            elif word == "end":
                flood_end.append(float(rest[0]))

    def typist():
        n = 0
        while not done.is_set():
            n += 1
            text = f"key-{n}"
            subprocess.run(["xdotool", "type", "--delay", "0", text], check=True)
            pressed[text] = time.monotonic()
            subprocess.run(["xdotool", "key", "Return"], check=True)
            time.sleep(0.25)

    def sample_memory():
        while not done.is_set():
            memory.append((time.monotonic(), rss_kib()))
            time.sleep(0.5)

    threading.Thread(target=read_child, daemon=True).start()
    start = time.monotonic()
    child.stdin.write("go\n")
    child.stdin.flush()
    for work in (typist, sample_memory):
        threading.Thread(target=work, daemon=True).start()
    seen_last = None
    stop = start + args.seconds + 4
    while time.monotonic() < stop:
        root.update()
        if seen_last is None and app.messages.text.search("flood-last", "end",
                                                          backwards=True):
            seen_last = time.monotonic()
        time.sleep(0.002)
    done.set()
    settle = time.monotonic() + 0.5          # the last key press still gets its window
    while time.monotonic() < settle:
        root.update()
        time.sleep(0.002)
    latencies = sorted((received[k] - pressed[k]) * 1000 for k in pressed if k in received)
    lost = [k for k in pressed if k not in received]
    during = [kib for t, kib in memory if t < start + args.seconds]
    result = {
        "rate": args.rate, "seconds": args.seconds, "senders": args.senders,
        "key_presses": len(pressed), "not_received": len(lost),
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "latency_ms_p99": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1)
        if latencies else None,
        "latency_ms_max": round(latencies[-1], 1) if latencies else None,
        "rss_mib_start": round(memory[0][1] / 1024, 1),
        "rss_mib_at_half": round(during[len(during) // 2] / 1024, 1) if during else None,
        "rss_mib_end_of_flood": round(during[-1] / 1024, 1) if during else None,
        "rss_mib_max": round(max(kib for _, kib in memory) / 1024, 1),
        "catch_up_s": round(seen_last - flood_end[0], 2) if seen_last and flood_end else None,
        "pane_lines": int(app.messages.text.index("end-1c").split(".")[0]),
    }
    print(json.dumps(result, indent=1))
    child.terminate()
    child.wait(5)
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
