"""Load generator for the chat benchmark (standard library only).

One process, raw non-blocking sockets on one epoll object.  It is built so that it
is not the bottleneck:

* delivered lines are counted with ``data.count(b"\\n")``; lines are never parsed
  one by one;
* a sampled message carries its send time in its text (``@T`` + 16 digits of
  ``time.perf_counter_ns()``) and only those markers are looked for (a C-speed
  ``bytes.find``) to measure latency;
* a sender's window is kept by counting its own echoes with ``bytes.count`` of
  ``"from":"<nick>"`` in complete lines;
* several messages are sent with one ``send()`` when the window opens.

Its own CPU time (``time.process_time``) is reported next to every result, so a
reader can see whether it was saturated.  Every loop here is bounded by a deadline.

Normally driven by bench/run.py; it can also be pointed at a running server:

    python bench/loadgen.py --port 5050 --scenario s2 --duration 5
"""

import argparse
import errno
import gc
import json
import os
import random
import resource
import select
import socket
import time
from collections import deque

HOST = "127.0.0.1"
RECV_SIZE = 65536
MARK = b"@T"
MARK_DIGITS = 16
FILLER = b"bench filler text 0123456789"
CONNECT_WINDOW = 100  # connects + logins in flight at once (below typical backlogs)

CONNECTING, LOGGING_IN, READY, DEAD = range(4)

# Time stamps are relative to this process's start so they always fit MARK_DIGITS.
_EPOCH_NS = time.perf_counter_ns()


def now_ns():
    return time.perf_counter_ns() - _EPOCH_NS

EPOLLIN = select.EPOLLIN
EPOLLOUT = select.EPOLLOUT
EPOLL_BAD = select.EPOLLERR | select.EPOLLHUP


def raise_nofile_limit():
    """10k client sockets need more than the usual soft limit of 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


class ProcStats:
    """CPU seconds and RSS of another process (the server) from /proc."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid):
        self.pid = pid

    def cpu(self):
        if self.pid is None:
            return None
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.TICK

    def rss_kib(self):
        if self.pid is None:
            return None
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None


def core_times():
    """{core: (busy, total)} in clock ticks from /proc/stat.  Busy counts irq and
    softirq time too, which no process is charged for (loopback TCP does much of its
    work there), and any other process on that core."""
    out = {}
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu") and line[3].isdigit():
                    name, *vals = line.split()
                    user, nice, system, idle, iowait, irq, softirq = (
                        int(v) for v in vals[:7])
                    busy = user + nice + system + irq + softirq   # steal left out
                    out[int(name[3:])] = (busy, busy + idle + iowait)
    except OSError:
        pass
    return out


class Meter:
    """Wall time, own CPU time and server CPU time over one measured phase, and how
    many lines one recv() brought on average: high CPU with few lines per recv is a
    load generator keeping up eagerly, not one that is saturated."""

    def __init__(self, pool):
        self.pool = pool
        self.server = pool.server
        self.recvs0 = pool.recvs
        self.lines0 = pool.total_lines
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.srv0 = self.server.cpu()
        self.cores0 = core_times()

    def stop(self):
        wall = time.perf_counter() - self.wall0
        cpu = time.process_time() - self.cpu0
        srv1 = self.server.cpu()
        recvs = self.pool.recvs - self.recvs0
        out = {"wall_s": round(wall, 3), "lg_cpu_s": round(cpu, 3),
               "lg_cpu_pct": round(100 * cpu / wall, 1) if wall > 0 else None,
               "recvs": recvs, "lines_per_recv":
               round((self.pool.total_lines - self.lines0) / recvs, 1) if recvs else None}
        cores1 = core_times()
        for core in sorted(cores1):
            if core in self.cores0:
                busy = cores1[core][0] - self.cores0[core][0]
                total = cores1[core][1] - self.cores0[core][1]
                if total > 0:
                    out[f"core{core}_busy_pct"] = round(100 * busy / total, 1)
        if self.srv0 is not None and srv1 is not None:
            out["server_cpu_s"] = round(srv1 - self.srv0, 2)
            out["server_cpu_pct"] = round(100 * (srv1 - self.srv0) / wall, 1)
        return out


# ---- dialects: how a client logs in, sends, and what it counts -------------------------
def ws_frame(payload):
    """A masked client text frame; the zero mask key is valid and costs nothing."""
    n = len(payload)
    head = bytes((0x81, 0x80 | n)) if n < 126 else b"\x81\xfe" + n.to_bytes(2, "big")
    return head + b"\0\0\0\0" + payload


class JsonDialect:
    """JSON lines: one event a line; a sender's own message comes back (its ack)."""
    name = "json"
    line_based = True
    echo = True            # a sender receives its own public and private messages
    unit_join = unit_msg = b"\n"
    wrap = None

    def hello(self, c, pool):
        return b'{"type":"login","nick":"' + c.nick + b'"}\n'

    def welcome(self, pool, c, buf):
        """Offset just past the welcome in `buf`, -1 while incomplete, None: refused."""
        start = 0
        while buf[start:start + 1] not in (b"{", b""):
            # A line for people (the prompt a silent connection gets): JSON clients skip
            # every line that does not start with "{" (docs/protocol.md).
            newline = buf.find(b"\n", start)
            if newline < 0:
                return -1
            start = newline + 1
        end = buf.find(b"\n", start) + 1
        if end == 0:
            return -1
        return _json_welcome(pool, c, buf[start:end], end)

    def public(self, texts):
        return b"".join(b'{"type":"msg","text":"' + t + b'","to":null}\n' for t in texts)

    def private_parts(self, nick):
        return b'{"type":"msg","text":"', b'","to":"' + nick + b'"}\n'

    def end_batch(self, c, count):
        return b""

    def echo_pattern(self, pool, c):
        return b'"from"' + (pool.sep or b":") + b'"' + c.nick + b'"'


def _json_welcome(pool, c, line, end):
    if b'"welcome"' not in line:
        return None
    if pool.sep is None:
        pool.sep = b": " if b'"type": "' in line else b":"
    i = line.find(b'"users"')
    j = line.find(b"[", i)
    k = line.find(b"]", j)
    inner = line[j + 1:k].strip()
    c.pos = inner.count(b",") + 1 if inner else 0
    return end


class WsDialect(JsonDialect):
    """The browser's way: HTTP upgrade at /ws, then one JSON event per text frame. Events
    are counted by their `{"type"` (frames are not parsed)."""
    name = "ws"
    line_based = False
    unit_join = unit_msg = b'{"type"'
    wrap = staticmethod(ws_frame)

    def hello(self, c, pool):
        host = b"127.0.0.1:%d" % pool.addr[1]
        return (b"GET /ws HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\nOrigin: http://" + host + b"\r\n\r\n"
                + ws_frame(b'{"type":"login","nick":"' + c.nick + b'"}'))

    def welcome(self, pool, c, buf):
        h = buf.find(b"\r\n\r\n")
        if h < 0:
            return -1
        if b" 101 " not in buf[:buf.find(b"\r\n")]:
            return None
        h += 4
        if len(buf) < h + 2:
            return -1
        n = buf[h + 1] & 0x7F
        head = 2
        if n == 126:
            head, n = 4, int.from_bytes(buf[h + 2:h + 4], "big")
        elif n == 127:
            head, n = 10, int.from_bytes(buf[h + 2:h + 10], "big")
        end = h + head + n
        if len(buf) < end:
            return -1
        return _json_welcome(pool, c, buf[h + head:end], end)

    def public(self, texts):
        return b"".join(ws_frame(b'{"type":"msg","text":"' + t + b'","to":null}')
                        for t in texts)

    def private_parts(self, nick):
        return b'{"type":"msg","text":"', b'","to":"' + nick + b'"}'


class TextDialect(JsonDialect):
    """nc/telnet: the nick as the first line, plain lines to everyone, -to NICK TEXT."""
    name = "text"

    def hello(self, c, pool):
        return c.nick + b"\n"

    def welcome(self, pool, c, buf):
        i = buf.find(b"* Type a message")
        if i < 0:
            if b"* Welcome," not in buf and b"\n" in buf and not buf.startswith(b"*"):
                return None
            return -1
        end = buf.find(b"\n", i) + 1
        if end == 0:
            return -1
        j = buf.find(b"* Online (")
        if j < 0:
            return None
        c.pos = int(buf[j + 10:buf.find(b")", j)])
        return end

    def public(self, texts):
        return b"".join(t + b"\n" for t in texts)

    def private_parts(self, nick):
        return b"-to " + nick + b" ", b"\n"

    def echo_pattern(self, pool, c):
        return b"] " + c.nick     # "[09:01] u00001: …" / "[09:01] u00001 -> u00002: …"


class IrcDialect(JsonDialect):
    """IRC, the same bytes to this server and to ngIRCd: NICK, USER, JOIN #classroom; no
    echo-message (ngIRCd has none), so a sender's window is acknowledged by a PING after
    each batch (its PONG means the server has handled the batch), and only PRIVMSG lines
    at their recipients are counted (JOIN lines while logging in)."""
    name = "irc"
    echo = False
    unit_join = b" JOIN "
    unit_msg = b" PRIVMSG "
    acks_batches = True
    CHANNEL = b"#classroom"

    def hello(self, c, pool):
        return (b"NICK " + c.nick + b"\r\nUSER " + c.nick + b" 0 * :" + c.nick
                + b"\r\nJOIN " + self.CHANNEL + b"\r\n")

    def welcome(self, pool, c, buf):
        i = buf.find(b" 366 ")
        if i < 0:
            if b"ERROR" in buf or b" 433 " in buf or b" 432 " in buf:
                return None
            return -1
        end = buf.find(b"\n", i) + 1
        if end == 0:
            return -1
        names = 0
        for line in buf[:end].split(b"\n"):
            if b" 353 " in line:
                names += len(line[line.find(b" :", 1) + 2:].split())
        c.pos = names
        return end

    def public(self, texts):
        head = b"PRIVMSG " + self.CHANNEL + b" :"
        return b"".join(head + t + b"\r\n" for t in texts)

    def private_parts(self, nick):
        return b"PRIVMSG " + nick + b" :", b"\r\n"

    def end_batch(self, c, count):
        c.batches.append(count)
        return b"PING :b\r\n"

    def echo_pattern(self, pool, c):
        return b" PONG "


DIALECTS = {"json": [JsonDialect()], "ws": [WsDialect()], "text": [TextDialect()],
            "irc": [IrcDialect()], "mixed": [JsonDialect(), WsDialect(), TextDialect()]}


class Client:
    __slots__ = ("idx", "nick", "sock", "fd", "state", "out", "pending", "lines",
                 "pos", "echo_pat", "echoes", "sent", "incoming", "writing", "progressed",
                 "d", "unit", "carry", "etail", "mtail", "batches")

    def __init__(self, idx, nick, dialect):
        self.idx = idx
        self.nick = nick
        self.d = dialect          # how it speaks (JsonDialect, WsDialect …)
        self.unit = dialect.unit_join   # what one delivered event looks like
        self.carry = b""          # the last bytes of the previous recv: units cut in two
        self.etail = b""          # the same for the echo pattern (stream dialects)
        self.mtail = b""          # the same for latency markers (stream dialects)
        self.batches = deque()    # IRC: sizes of the batches a PONG acknowledges
        self.sock = None
        self.fd = -1
        self.state = CONNECTING
        self.out = b""
        self.pending = b""   # bytes after the last newline (only kept when scanning)
        self.lines = 0       # lines since the last reset, the welcome not included
        self.pos = 0         # 1-based login position: len(welcome.users)
        self.echo_pat = None
        self.echoes = 0
        self.sent = 0
        self.incoming = 0    # private messages addressed to this client
        self.writing = False
        self.progressed = False  # in Pool.progressed: its window may have opened


class Pool:
    """Many clients of one server, driven by one epoll object."""

    def __init__(self, port, host=HOST, server_pid=None, prefix="u", dialect="json"):
        self.addr = (host, port)
        self.dialects = DIALECTS[dialect]
        self.dialect_name = dialect
        # Whether a sender hears its own messages (JSON, WebSocket, text: yes; IRC: no).
        self.echo = all(d.echo for d in self.dialects)
        self.prefix = prefix
        self.server = ProcStats(server_pid)
        self.ep = select.epoll()
        self.by_fd = {}
        self.clients = []
        self.ready = 0
        self.in_flight = 0
        self.total_lines = 0
        self.scan = False        # look for latency markers in received data
        self.latencies = []      # nanoseconds, one per marked delivery
        self.sep = None          # b":" or b": ", as the server writes JSON
        self.failures = []       # (nick, reason) of clients that died
        self.n_base = 0          # logged-in users at the last reset
        self.progressed = []     # senders whose echoes came in since the last look
        self.recvs = 0
        self.fatal = None

    # ---- lifecycle -------------------------------------------------------------
    def close(self):
        for c in self.clients:
            if c.sock is not None:
                try:
                    c.sock.close()
                except OSError:
                    pass
                c.sock = None
        self.by_fd.clear()
        self.ep.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- connecting and logging in ---------------------------------------------
    def add_clients(self, count, deadline, window=CONNECT_WINDOW):
        """Connect and log in `count` more clients, `window` in flight at a time.

        Returns True when all of them got their welcome before the deadline."""
        target = len(self.clients) + count
        while time.perf_counter() < deadline and self.fatal is None:
            while len(self.clients) < target and self.in_flight < window:
                if not self._open(len(self.clients)):
                    break
            if len(self.clients) >= target and self.in_flight == 0:
                break
            self.pump(0.05)
        return self.fatal is None and len(self.clients) >= target and self.in_flight == 0

    def _open(self, idx):
        c = Client(idx, f"{self.prefix}{idx:05d}".encode(),
                   self.dialects[idx % len(self.dialects)])
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as exc:
            self.fatal = f"socket(): {exc}"
            return False
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex(self.addr)
        c.sock, c.fd = sock, sock.fileno()
        self.clients.append(c)
        self.in_flight += 1
        if err not in (0, errno.EINPROGRESS):
            self._fail(c, f"connect: {os.strerror(err)}")
            return True
        self.by_fd[c.fd] = c
        self.ep.register(c.fd, EPOLLIN | EPOLLOUT)
        c.writing = True
        return True

    def _fail(self, c, reason):
        if c.state in (CONNECTING, LOGGING_IN):
            self.in_flight -= 1
        elif c.state == READY:
            self.ready -= 1
        c.state = DEAD
        self.failures.append((c.nick.decode(), reason))
        if c.fd in self.by_fd:
            del self.by_fd[c.fd]
            try:
                self.ep.unregister(c.fd)
            except OSError:
                pass
        try:
            c.sock.close()
        except OSError:
            pass
        c.sock = None

    # ---- the event loop ----------------------------------------------------------
    def pump(self, timeout):
        for fd, ev in self.ep.poll(timeout):
            c = self.by_fd.get(fd)
            if c is None:
                continue
            if ev & EPOLLOUT or (c.state == CONNECTING and ev & EPOLL_BAD):
                self._on_writable(c)
            if ev & (EPOLLIN | EPOLL_BAD) and c.state not in (DEAD, CONNECTING):
                self._on_readable(c)

    def _on_writable(self, c):
        if c.state == CONNECTING:
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self._fail(c, f"connect: {os.strerror(err)}")
                return
            c.state = LOGGING_IN
            c.out = c.d.hello(c, self)
        if c.out:
            try:
                n = c.sock.send(c.out)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError as exc:
                self._fail(c, f"send: {exc}")
                return
            c.out = c.out[n:]
        if not c.out and c.writing:
            c.writing = False
            self.ep.modify(c.fd, EPOLLIN)

    def send(self, c, data):
        if c.out:
            c.out += data
            return
        try:
            n = c.sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError as exc:
            self._fail(c, f"send: {exc}")
            return
        if n < len(data):
            c.out = data[n:]
            if not c.writing:
                c.writing = True
                self.ep.modify(c.fd, EPOLLIN | EPOLLOUT)

    def _on_readable(self, c):
        try:
            data = c.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(c, f"recv: {exc}")
            return
        if not data:
            self._fail(c, "server closed the connection")
            return
        self.recvs += 1
        if c.state == LOGGING_IN:
            data = self._login_reply(c, data)
            if not data:
                return
        unit = c.unit
        n = data.count(unit)
        if len(unit) > 1:
            # A unit cut in two by the recv boundary: count it in the seam.
            k = len(unit) - 1
            n += (c.carry + data[:k]).count(unit)
            c.carry = data[-k:] if len(data) >= k else (c.carry + data)[-k:]
        if not self.scan and c.echo_pat is None:
            c.lines += n           # the hot path of a pure counting phase
            self.total_lines += n
            return
        if c.d.line_based:
            self._scan(c, data, n)
        else:
            self._scan_stream(c, data, n)

    def _login_reply(self, c, data):
        """Bytes after the welcome (b"" while it is incomplete or refused)."""
        buf = c.pending + data if c.pending else data
        end = c.d.welcome(self, c, buf)
        if end is None:
            self._fail(c, "no welcome: " + buf[:200].decode("utf-8", "replace").strip())
            return b""
        if end < 0:
            c.pending = buf
            return b""
        c.pending = b""
        c.state = READY
        self.in_flight -= 1
        self.ready += 1
        return buf[end:]

    def _scan(self, c, data, n):
        """Line dialects: markers and echoes are looked for in complete lines only."""
        buf = c.pending + data if c.pending else data
        end = buf.rfind(b"\n") + 1      # buf[:end] is complete lines
        if self.scan:
            i = buf.find(MARK, 0, end)
            if i >= 0:
                now = now_ns()
            while i >= 0:
                j = i + 2
                try:
                    self.latencies.append(now - int(buf[j:j + MARK_DIGITS]))
                except ValueError:
                    pass
                i = buf.find(MARK, j, end)
        if c.echo_pat is not None:
            got = buf.count(c.echo_pat, 0, end)
            if got:
                self._acked(c, got)
        c.pending = buf[end:]
        c.lines += n
        self.total_lines += n

    def _scan_stream(self, c, data, n):
        """Frame dialects (WebSocket): no lines, so patterns cut by a recv boundary are
        found in the seam with the previous recv's last bytes."""
        if self.scan:
            buf = c.mtail + data
            size = len(buf)
            i = buf.find(MARK)
            if i >= 0:
                now = now_ns()
            while i >= 0 and i + 2 + MARK_DIGITS <= size:
                j = i + 2
                try:
                    self.latencies.append(now - int(buf[j:j + MARK_DIGITS]))
                except ValueError:
                    pass
                i = buf.find(MARK, j)
            c.mtail = buf[-(MARK_DIGITS + 1):]
        pat = c.echo_pat
        if pat is not None:
            k = len(pat) - 1
            got = data.count(pat) + (c.etail + data[:k]).count(pat)
            c.etail = data[-k:] if len(data) >= k else (c.etail + data)[-k:]
            if got:
                self._acked(c, got)
        c.lines += n
        self.total_lines += n

    def _acked(self, c, got):
        if not c.d.echo:
            batches = c.batches
            got = sum(batches.popleft() for _ in range(min(got, len(batches))))
        c.echoes += got
        if not c.progressed:
            c.progressed = True
            self.progressed.append(c)

    # ---- bookkeeping ---------------------------------------------------------------
    def live(self):
        return [c for c in self.clients if c.state == READY]

    def reset_counts(self):
        """Start a new phase: counters to zero (call only once drained)."""
        for c in self.clients:
            c.lines = c.echoes = c.sent = c.incoming = 0
            if c.state == READY:
                c.pending = b""
            c.echo_pat = None
            c.progressed = False
            c.unit = c.d.unit_msg
            c.carry = c.etail = c.mtail = b""
            c.batches.clear()
        self.total_lines = 0
        self.latencies = []
        self.scan = False
        self.n_base = self.ready
        self.progressed = []
        self.recvs = 0

    def expected_joins(self, c):
        """Lines owed to c since the last reset while users only join."""
        return max(0, self.ready - max(c.pos, self.n_base))

    def wait_until(self, done, deadline, tick=0.05):
        while not done() and time.perf_counter() < deadline:
            self.pump(tick)
        return done()

    def wait_joins_drained(self, deadline):
        want = sum(self.expected_joins(c) for c in self.live())
        self.wait_until(lambda: self.total_lines >= want, deadline)
        return self.check(self.expected_joins)

    def check(self, expected_of):
        """Compare every live client's line count with what it should have got."""
        expected = received = lost = extra = short = over = 0
        for c in self.live():
            e = expected_of(c)
            expected += e
            received += c.lines
            if c.lines < e:
                lost += e - c.lines
                short += 1
            elif c.lines > e:
                extra += c.lines - e
                over += 1
        dead = len(self.clients) - self.ready
        return {"ok": lost == 0 and extra == 0 and dead == 0 and self.fatal is None,
                "expected": expected, "received": received, "lost": lost,
                "extra": extra, "clients_short": short, "clients_over": over,
                "dead_clients": dead, "failures": self.failures[:5],
                "fatal": self.fatal}

    def take_progressed(self):
        """Senders that got echoes since the last call (their windows may be open)."""
        out, self.progressed = self.progressed, []
        for c in out:
            c.progressed = False
        return out

    def echo_pattern(self, c):
        return c.d.echo_pattern(self, c)

    def public_owed(self, total):
        """Expected lines per client after `total` public messages from `senders`."""
        if self.echo:
            return lambda c: total
        return lambda c: total - c.sent

    def latency_summary(self):
        lat = sorted(self.latencies)
        ms = lambda v: None if v is None else round(v / 1e6, 3)  # noqa: E731
        return {"samples": len(lat), "p50_ms": ms(percentile(lat, 0.50)),
                "p99_ms": ms(percentile(lat, 0.99)),
                "max_ms": ms(lat[-1] if lat else None)}


# ---- message frames -------------------------------------------------------------
def text_for(seq, sample_every, stamp_ns=None):
    if sample_every and seq % sample_every == 0:
        return b"@T%016d" % (stamp_ns if stamp_ns is not None else now_ns())
    return FILLER


def public_frames(c, first_seq, count, sample_every):
    """`count` public messages from c in its dialect, and its batch's ack if it needs one."""
    d = c.d
    return d.public([text_for(s, sample_every) for s in range(first_seq, first_seq + count)]
                    ) + d.end_batch(c, count)


# ---- scenarios ---------------------------------------------------------------------
def setup(pool, clients, deadline, result):
    """Log `clients` in and wait until every joined was delivered."""
    meter = Meter(pool)
    t0 = time.perf_counter()
    if not pool.add_clients(clients - len(pool.clients), deadline):
        result.update(status="timeout", reason=(
            f"setup: {pool.ready}/{clients} logged in before the time box"
            + (f"; {pool.fatal}" if pool.fatal else "")
            + (f"; first failure {pool.failures[0]}" if pool.failures else "")))
        return False
    check = pool.wait_joins_drained(deadline)
    result["setup"] = dict(meter.stop(), clients=clients, seconds=round(time.perf_counter() - t0, 3),
                           check=check)
    if not check["ok"]:
        result.update(status="timeout" if check["lost"] and not check["extra"] else "fail",
                      reason=f"setup: joined events lost={check['lost']} extra={check['extra']}"
                             f" dead={check['dead_clients']}")
        return False
    pool.reset_counts()
    return True


def drain_public(pool, senders, deadline):
    total = sum(s.sent for s in senders)
    owed = pool.public_owed(total)
    want = sum(owed(c) for c in pool.live())
    pool.wait_until(lambda: pool.total_lines >= want, deadline)
    return pool.check(owed)


def s_broadcast(pool, clients, senders, window, duration, sample_every, deadline,
                result=None):
    """S2 and the scaling points: `senders` broadcast as fast as their window allows."""
    result = {} if result is None else result
    if not setup(pool, clients, deadline, result):
        return result
    live = pool.live()
    tx = live[:senders]
    for s in tx:
        s.echo_pat = pool.echo_pattern(s)
    pool.scan = True
    refill = max(1, window // 4)
    seq = 0
    meter = Meter(pool)
    stop = min(time.perf_counter() + duration, deadline)
    todo = tx
    while time.perf_counter() < stop:
        for s in todo:
            room = window - (s.sent - s.echoes)
            if room >= refill and s.state == READY:
                pool.send(s, public_frames(s, seq, room, sample_every))
                seq += room
                s.sent += room
        pool.pump(0.01)
        todo = tx if len(tx) <= 16 else pool.take_progressed()
    delivered = pool.total_lines
    measured = meter.stop()
    sent = sum(s.sent for s in tx)
    check = drain_public(pool, tx, min(deadline, time.perf_counter() + max(10.0, duration)))
    result.update(status="ok" if check["ok"] else "fail", clients=clients, senders=senders,
                  window=window, sent=sent, delivered_in_window=delivered,
                  deliveries_per_s=round(delivered / measured["wall_s"]),
                  measure=measured, check=check, latency=pool.latency_summary())
    return result


def s_fixed_rate(pool, clients, senders, rate, window, duration, deadline):
    """S2-fixed: a fixed total message rate; every message is time-stamped with the
    moment it was *due* (so a stalled sender cannot hide latency)."""
    result = {}
    if not setup(pool, clients, deadline, result):
        return result
    tx = pool.live()[:senders]
    for s in tx:
        s.echo_pat = pool.echo_pattern(s)
    pool.scan = True
    meter = Meter(pool)
    t0 = now_ns()
    period = 1e9 / rate
    stop = min(time.perf_counter() + duration, deadline)
    k = 0
    behind = 0
    while time.perf_counter() < stop:
        due = int((now_ns() - t0) / period) + 1
        while k < due:
            s = tx[k % len(tx)]
            if s.sent - s.echoes >= window or s.state != READY:
                behind += 1
                break
            stamp = t0 + int(k * period)
            pool.send(s, s.d.public([b"@T%016d" % stamp]) + s.d.end_batch(s, 1))
            s.sent += 1
            k += 1
        pool.pump(0.001)
    measured = meter.stop()
    delivered = pool.total_lines
    check = drain_public(pool, tx, min(deadline, time.perf_counter() + 10.0))
    result.update(status="ok" if check["ok"] else "fail", clients=clients, senders=senders,
                  rate=rate, sent=k, target_sent=int(rate * measured["wall_s"]),
                  window_stalls=behind, delivered_in_window=delivered,
                  deliveries_per_s=round(delivered / measured["wall_s"]),
                  measure=measured, check=check, latency=pool.latency_summary())
    return result


def s_private(pool, clients, window, duration, sample_every, deadline, seed=1):
    """S4: every client sends private messages to random peers, windowed."""
    result = {}
    if not setup(pool, clients, deadline, result):
        return result
    live = pool.live()
    n = len(live)
    for c in live:
        c.echo_pat = pool.echo_pattern(c)
    pool.scan = True
    parts_of = {}     # per dialect: the (head, tail) of a private message to each peer
    for d in pool.dialects:
        pairs = [d.private_parts(c.nick) for c in live]
        parts_of[d] = ([h for h, _ in pairs], [t for _, t in pairs])
    rnd = random.Random(seed)
    refill = max(1, window // 2)
    seq = 0
    meter = Meter(pool)
    stop = min(time.perf_counter() + duration, deadline)
    index = {c: i for i, c in enumerate(live)}
    todo = live
    while time.perf_counter() < stop:
        for c in todo:
            i = index[c]
            room = window - (c.sent - c.echoes)
            if room < refill or c.state != READY:
                continue
            parts = []
            heads, tails = parts_of[c.d]
            wrap = c.d.wrap
            for _ in range(room):
                j = rnd.randrange(n - 1)
                j += j >= i
                live[j].incoming += 1
                frame = heads[j] + text_for(seq, sample_every) + tails[j]
                parts.append(wrap(frame) if wrap else frame)
                seq += 1
            c.sent += room
            parts.append(c.d.end_batch(c, room))
            pool.send(c, b"".join(parts))
        pool.pump(0.01)
        todo = pool.take_progressed()
    measured = meter.stop()
    lines = pool.total_lines
    echoes = sum(c.echoes for c in live)
    sent = sum(c.sent for c in live)
    echo = pool.echo
    pool.wait_until(lambda: pool.total_lines >= (2 if echo else 1) * sent,
                    min(deadline, time.perf_counter() + max(10.0, duration)))
    pool.wait_until(lambda: all(c.echoes == c.sent for c in live),
                    min(deadline, time.perf_counter() + 5.0))
    check = pool.check(lambda c: c.incoming + (c.sent if echo else 0))
    bad_echo = sum(1 for c in live if c.echoes != c.sent)
    check["senders_missing_echoes"] = bad_echo
    check["ok"] = check["ok"] and bad_echo == 0
    to_recipients = lines - echoes if echo else lines
    result.update(status="ok" if check["ok"] else "fail", clients=clients, window=window,
                  sent=sent, delivered_to_recipients_in_window=to_recipients,
                  msgs_per_s=round(to_recipients / measured["wall_s"]),
                  measure=measured, check=check, latency=pool.latency_summary())
    return result


def s_login_storm(pool, clients, deadline, window=CONNECT_WINDOW):
    """S5: connect and log in `clients` as fast as possible (window in flight); time
    from the first connect until every welcome and every joined has arrived."""
    result = {}
    meter = Meter(pool)
    t0 = time.perf_counter()
    if not pool.add_clients(clients, deadline, window):
        result.update(status="timeout", reason=f"{pool.ready}/{clients} logged in "
                      f"before the time box" + (f"; {pool.failures[0]}" if pool.failures else ""))
        return result
    t_logged = time.perf_counter() - t0
    check = pool.wait_joins_drained(deadline)
    seconds = time.perf_counter() - t0
    joins = clients * (clients - 1) // 2
    result.update(status="ok" if check["ok"] else ("timeout" if check["lost"] else "fail"),
                  clients=clients, seconds=round(seconds, 3),
                  all_welcomed_s=round(t_logged, 3), logins_per_s=round(clients / seconds),
                  join_deliveries=joins, join_deliveries_per_s=round(joins / seconds),
                  measure=meter.stop(), check=check)
    if not check["ok"]:
        result["reason"] = f"lost={check['lost']} extra={check['extra']} " \
                           f"dead={check['dead_clients']}"
    return result


def s_idle(pool, clients, deadline, settle=1.0):
    """Idle: hold `clients` logged-in idle connections; server RSS growth per one."""
    result = {}
    time.sleep(0.3)
    before = pool.server.rss_kib()
    if not setup(pool, clients, deadline, result):
        return result
    pool.wait_until(lambda: False, time.perf_counter() + settle)
    after = pool.server.rss_kib()
    check = pool.check(lambda c: 0)   # nothing may arrive while idle
    result.update(status="ok" if check["ok"] else "fail", clients=clients,
                  rss_before_kib=before, rss_after_kib=after, check=check)
    if before is not None and after is not None:
        result["kib_per_conn"] = round((after - before) / clients, 2)
    return result


def scaling_window(clients, senders, max_window, in_flight):
    """Per-sender window so that about `in_flight` deliveries are outstanding at any
    point: enough to keep a fast server busy at 10 clients, without queueing tens of
    seconds of work in a slow one at 5000."""
    return max(4, min(max_window, in_flight // (senders * clients)))


def s_scaling(pool, points, senders, max_window, in_flight, duration, sample_every,
              deadline, setup_budget, join_rate=None):
    """The scaling curve on one server: grow the same pool through `points`.

    A point whose setup (the joined storm, n^2/2 deliveries) is predicted to take
    longer than `setup_budget` seconds at the best join rate seen so far is skipped."""
    out = []
    rate = join_rate
    for n in points:
        res = {"clients": n}
        have = pool.ready
        joins = (n * (n - 1) - have * (have - 1)) // 2
        if rate and joins / rate > setup_budget:
            res.update(status="skipped", reason=f"setup predicted {joins / rate:.0f} s "
                       f"({joins:,} joined at {rate:,.0f}/s) > {setup_budget:.0f} s budget")
            out.append(res)
            continue
        point_deadline = min(deadline, time.perf_counter() + setup_budget + duration + 15)
        tx = min(senders, n)
        s_broadcast(pool, n, tx, scaling_window(n, tx, max_window, in_flight), duration,
                    sample_every, point_deadline, result=res)
        st = res.get("setup")
        if st and st["seconds"] > 0.2 and joins > 10000:
            rate = max(rate or 0, joins / st["seconds"])
        out.append(res)
        if res.get("status") != "ok":
            break  # the pool is in an unknown state; later points would mislead
        pool.reset_counts()
    return {"status": "ok" if all(p.get("status") == "ok" for p in out) else "partial",
            "points": out}


def main():
    parser = argparse.ArgumentParser(description="Chat load generator (one scenario).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", choices=["s2", "s2fixed", "s4", "s5", "idle"],
                        default="s2")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--cpu", type=int, help="pin the load generator to this core")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), default="json",
                        help="how the clients speak (mixed: JSON, WebSocket and text)")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    raise_nofile_limit()
    gc.disable()
    deadline = time.perf_counter() + args.timeout
    with Pool(args.port, server_pid=args.server_pid, dialect=args.dialect) as pool:
        if args.scenario == "s2":
            res = s_broadcast(pool, args.clients or 100, 10, 64, args.duration, 64, deadline)
        elif args.scenario == "s2fixed":
            res = s_fixed_rate(pool, args.clients or 100, 10, 500, 64, args.duration, deadline)
        elif args.scenario == "s4":
            res = s_private(pool, args.clients or 1000, 8, args.duration, 16, deadline)
        elif args.scenario == "s5":
            res = s_login_storm(pool, args.clients or 2000, deadline)
        else:
            res = s_idle(pool, args.clients or 10000, deadline)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
