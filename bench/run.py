"""Run the chat benchmark: every server under test, every scenario, one table.

    python bench/run.py                       # full run, all servers (~5 minutes)
    python bench/run.py --quick               # smoke run, a few seconds per server
    python bench/run.py --servers asyncio,threaded --scenarios s2,s5

Each scenario gets a fresh server process on a free port of 127.0.0.1, pinned to
core 0; this process (the load generator) pins itself to core 1.  After a scenario
the server is killed *before* the client sockets close, so no storm of `left`
events is measured or waited for.  Results: a markdown table on stdout and in
bench/results/<name>.md, raw numbers in bench/results/<name>.json, and a PNG of the
scaling curve (bench/results/<name>.png).
"""

import argparse
import ctypes
import gc
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import loadgen  # noqa: E402
import plot  # noqa: E402

REPO = BENCH.parent
RESULTS = BENCH / "results"
HOST = "127.0.0.1"
SERVER_CORE = 0
LOADGEN_CORE = 1
START_TIMEOUT = 15.0

SERVERS = {
    "project": {
        "script": REPO / "run_server.py", "cwd": REPO,
        "args": ["--rate-limit", "0", "--admin-password", "benchpw",
                 "--max-clients", "20000", "--log-level", "warning"],
        "data_dir": True,   # a fresh data folder for every start: it keeps the lesson
    },
    # The same server keeping nothing: what keeping the lesson in sqlite costs.
    "project-nostore": {
        "script": REPO / "run_server.py", "cwd": REPO,
        "args": ["--rate-limit", "0", "--admin-password", "benchpw",
                 "--max-clients", "20000", "--log-level", "warning", "--no-store"],
    },
    "asyncio": {"script": BENCH / "baselines" / "asyncio_server.py", "cwd": REPO, "args": []},
    # Debian's ngIRCd (apt-get install ngircd), for the IRC load only (ngircd@irc): on
    # 127.0.0.1, penalties off (MaxPenaltyTime = 0), no per-address limit, no DNS/ident.
    "ngircd": {"ngircd": "/usr/sbin/ngircd", "cwd": REPO, "args": []},
    "threaded": {"script": BENCH / "baselines" / "threaded_server.py", "cwd": REPO, "args": []},
}
SCENARIOS = ["s5", "s2", "s2fixed", "s4", "scaling", "idle"]
# A column is SERVER or SERVER@DIALECT (the load generator's dialect: json, ws, text, irc,
# mixed). Columns with another dialect than JSON run only these scenarios.
DIALECT_SCENARIOS = ["s5", "s2", "s2fixed", "s4"]

NGIRCD_CONF = """[Global]
    Name = ngircd.bench
    Info = bench
    Listen = 127.0.0.1
    Ports = {port}
    MotdPhrase = bench
    PidFile = {dir}/ngircd.pid
    ServerUID = {uid}
    ServerGID = {gid}
[Limits]
    MaxConnections = 0
    MaxConnectionsIP = 0
    MaxJoins = 0
    MaxPenaltyTime = 0
    PingTimeout = 600
    PongTimeout = 600
[Options]
    DNS = no
    Ident = no
    PAM = no
    OperCanUseMode = yes
"""

FULL = {
    "s5": {"clients": 2000, "timeout": 60},
    "s2": {"clients": 100, "senders": 10, "window": 64, "duration": 5, "sample": 64,
           "timeout": 60},
    "s2fixed": {"clients": 100, "senders": 10, "rate": 500, "window": 64, "duration": 5,
                "timeout": 60},
    "s4": {"clients": 1000, "window": 8, "duration": 5, "sample": 16, "timeout": 60},
    "scaling": {"points": [10, 100, 1000, 5000], "senders": 5, "window": 128,
                "in_flight": 200000,
                "duration": 3, "sample": 16, "setup_budget": 30, "timeout": 150},
    "idle": {"ladder": [10000, 1000], "setup_budget": 60, "timeout": 120},
}
QUICK = {
    "s5": {"clients": 300, "timeout": 20},
    "s2": {"clients": 100, "senders": 10, "window": 64, "duration": 1, "sample": 64,
           "timeout": 20},
    "s2fixed": {"clients": 100, "senders": 10, "rate": 500, "window": 64, "duration": 1,
                "timeout": 20},
    "s4": {"clients": 200, "window": 8, "duration": 1, "sample": 16, "timeout": 20},
    "scaling": {"points": [10, 100, 300], "senders": 5, "window": 128, "in_flight": 200000,
                "duration": 0.5,
                "sample": 16, "setup_budget": 10, "timeout": 30},
    "idle": {"ladder": [600], "setup_budget": 10, "timeout": 20},
}


class Unavailable(Exception):
    """The server under test could not be started."""


# ---- server processes ---------------------------------------------------------------
_used_ports = set()


def free_port():
    """A port below the local ephemeral range (32768-60999) that binds right now."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        if port in _used_ports:
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        _used_ports.add(port)
        return port
    raise RuntimeError("no free port found")


def _child_setup():
    os.sched_setaffinity(0, {SERVER_CORE})
    loadgen.raise_nofile_limit()
    # Die with the runner even if it is SIGKILLed (PR_SET_PDEATHSIG = 1).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# The IRC load acknowledges each batch with a PING, a command like any other: the work
# budget for commands (20/s a connection) would answer most of them with 263.
DIALECT_ARGS = {"irc": ["--command-rate", "0"]}


class ServerProcess:
    def __init__(self, name, logdir, extra_args=()):
        self.name = name
        self.spec = SERVERS[name]
        self.extra_args = list(extra_args)
        self.logdir = logdir
        self.proc = None
        self.port = None
        self.log_path = logdir / f"{name}.log"

    def start(self):
        self.port = free_port()
        if "ngircd" in self.spec:
            cmd = self._ngircd_command()
        else:
            script = self.spec["script"]
            if not script.exists():
                raise Unavailable(f"{script} does not exist")
            cmd = [sys.executable, str(script), "--host", HOST, "--port", str(self.port)]
            cmd += self.spec["args"] + self.extra_args
        if self.spec.get("data_dir"):
            cmd += ["--data-dir", tempfile.mkdtemp(prefix="bench-data-")]
        log = open(self.log_path, "ab")
        log.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(cmd, cwd=self.spec["cwd"], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     preexec_fn=_child_setup, start_new_session=True)
        log.close()
        self._wait_accepting()
        return self

    def _ngircd_command(self):
        binary = Path(self.spec["ngircd"])
        if not binary.exists():
            raise Unavailable(f"{binary} does not exist (apt-get install ngircd)")
        folder = tempfile.mkdtemp(prefix="bench-ngircd-")
        conf = Path(folder) / "ngircd.conf"
        conf.write_text(NGIRCD_CONF.format(port=self.port, dir=folder, uid=os.getuid(),
                                           gid=os.getgid()))
        return [str(binary), "--nodaemon", "--config", str(conf)]

    def _wait_accepting(self):
        deadline = time.perf_counter() + START_TIMEOUT
        if "ngircd" in self.spec:
            return self._wait_irc(deadline)
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable(f"exited with status {self.proc.returncode} at start: "
                                  f"{self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=2) as s:
                    s.sendall(b'{"type":"ping","id":1}\n')
                    reply = s.recv(4096)
                if b'"pong"' not in reply:
                    raise Unavailable(f"answered a JSON ping with {reply[:200]!r}")
                return
            except (ConnectionRefusedError, socket.timeout):
                time.sleep(0.1)
            except OSError as exc:
                raise Unavailable(f"ping check failed: {exc}") from None
        self.stop()
        raise Unavailable(f"did not accept within {START_TIMEOUT:.0f} s: {self.log_tail()}")

    def _wait_irc(self, deadline):
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable(f"exited with status {self.proc.returncode} at start: "
                                  f"{self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=2) as s:
                    s.sendall(b"NICK probe\r\nUSER probe 0 * :probe\r\n")
                    reply = b""
                    while b" 001 " not in reply:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        reply += chunk
                    s.sendall(b"QUIT\r\n")
                if b" 001 " not in reply:
                    raise Unavailable(f"answered NICK/USER with {reply[:200]!r}")
                return
            except (ConnectionRefusedError, socket.timeout):
                time.sleep(0.1)
        self.stop()
        raise Unavailable(f"did not accept within {START_TIMEOUT:.0f} s: {self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Kill at once: the state is thrown away and a graceful shutdown to
        thousands of clients is not what is measured."""
        if self.proc is None:
            return None
        code = self.proc.poll()
        if code is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None
        return code

    def log_tail(self, lines=6):
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])[-600:]


# ---- scenarios ------------------------------------------------------------------------
def predicted_fit(ladder, rate, budget):
    """The largest client count whose joined storm fits the budget at `rate`."""
    if not rate:
        return ladder[0], None
    for n in ladder:
        if n * (n - 1) / 2 / rate <= budget:
            return n, None
    n = ladder[-1]
    return n, f"even {n} is predicted over budget"


def run_scenario(name, cfg, pool, deadline, facts):
    if name == "s5":
        return loadgen.s_login_storm(pool, cfg["clients"], deadline)
    if name == "s2":
        return loadgen.s_broadcast(pool, cfg["clients"], cfg["senders"], cfg["window"],
                                   cfg["duration"], cfg["sample"], deadline)
    if name == "s2fixed":
        return loadgen.s_fixed_rate(pool, cfg["clients"], cfg["senders"], cfg["rate"],
                                    cfg["window"], cfg["duration"], deadline)
    if name == "s4":
        return loadgen.s_private(pool, cfg["clients"], cfg["window"], cfg["duration"],
                                 cfg["sample"], deadline)
    if name == "scaling":
        return loadgen.s_scaling(pool, cfg["points"], cfg["senders"], cfg["window"],
                                 cfg["in_flight"], cfg["duration"], cfg["sample"], deadline,
                                 cfg["setup_budget"], facts.get("join_rate"))
    if name == "idle":
        n, note = predicted_fit(cfg["ladder"], facts.get("join_rate"), cfg["setup_budget"])
        res = loadgen.s_idle(pool, n, deadline)
        if n != cfg["ladder"][0]:
            res["note"] = (f"{n} instead of {cfg['ladder'][0]} clients: the joined storm "
                           f"was predicted over the {cfg['setup_budget']} s budget "
                           f"from S5's rate" + (f"; {note}" if note else ""))
        return res
    raise ValueError(name)


def split_column(column):
    server, _, dialect = column.partition("@")
    return server, dialect or "json"


def run_one(column, scenario, cfg, logdir, facts):
    server_name, dialect = split_column(column)
    server = ServerProcess(server_name, logdir, DIALECT_ARGS.get(dialect, ()))
    server.start()
    t0 = time.perf_counter()
    pool = loadgen.Pool(server.port, server_pid=server.proc.pid, dialect=dialect)
    try:
        gc.collect()
        gc.disable()
        deadline = time.perf_counter() + cfg["timeout"]
        try:
            res = run_scenario(scenario, cfg, pool, deadline, facts)
        except Exception as exc:  # a broken scenario must not stop the whole run
            res = {"status": "error", "reason": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc()}
        if not server.alive():
            res["status"] = "fail"
            res["reason"] = (res.get("reason", "") + f" server died (status "
                             f"{server.proc.returncode}): {server.log_tail()}").strip()
    finally:
        server.stop()      # before the clients close: no `left` storm
        pool.close()
        gc.enable()
    res["scenario_wall_s"] = round(time.perf_counter() - t0, 2)
    return res


def run_server(server_name, scenarios, cfgs, logdir):
    print(f"\n## {server_name}", file=sys.stderr)
    results = {}
    facts = {}
    if split_column(server_name)[1] != "json":
        scenarios = [sc for sc in scenarios if sc in DIALECT_SCENARIOS]
    for sc in scenarios:
        t0 = time.perf_counter()
        try:
            res = run_one(server_name, sc, cfgs[sc], logdir, facts)
        except Unavailable as exc:
            print(f"  {server_name} not available: {exc}", file=sys.stderr)
            if not results:
                return {"unavailable": str(exc)}
            res = {"status": "error", "reason": f"server did not start: {exc}"}
        if sc == "s5" and res.get("status") == "ok":
            facts["join_rate"] = res["join_deliveries_per_s"]
        results[sc] = res
        print(f"  {sc:8s} {res.get('status'):8s} {time.perf_counter() - t0:6.1f} s  "
              f"{brief(sc, res)}", file=sys.stderr)
    return results


def brief(sc, res):
    if res.get("status") not in ("ok", "partial"):
        return res.get("reason", "")
    m = res.get("measure", {})
    lg = f"lg {m.get('lg_cpu_pct')}% srv {m.get('server_cpu_pct')}%"
    if sc == "s5":
        return f"{res['seconds']} s  {lg}"
    if sc == "s2":
        return f"{res['deliveries_per_s']:,}/s  p99 {res['latency']['p99_ms']} ms  {lg}"
    if sc == "s2fixed":
        return f"p50 {res['latency']['p50_ms']} p99 {res['latency']['p99_ms']} ms  {lg}"
    if sc == "s4":
        return f"{res['msgs_per_s']:,}/s  {lg}"
    if sc == "scaling":
        return "  ".join(f"{p['clients']}:{p.get('deliveries_per_s', p.get('status'))}"
                         for p in res["points"])
    if sc == "idle":
        return f"{res.get('kib_per_conn')} KiB/conn at {res['clients']}"
    return ""


# ---- report -----------------------------------------------------------------------------
def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "nproc": os.cpu_count(),
            "cpu": model, "python": platform.python_version(),
            "kernel": platform.release(),
            "pinning": f"server core {SERVER_CORE}, load generator core {LOADGEN_CORE}"}


def background_load(seconds=1.0):
    """Busy % of each core while nothing of ours runs: other processes (a test run
    next door) make every number noisier, so the report says so."""
    before = loadgen.core_times()
    time.sleep(seconds)
    after = loadgen.core_times()
    out = {}
    for core, (busy, total) in after.items():
        if core in before and total > before[core][1]:
            out[core] = round(100 * (busy - before[core][0]) / (total - before[core][1]), 1)
    return out


def metric_rows(cfgs):
    """(label, scenario, getter(result) -> (value, lg_pct), higher_is_better, fmt)."""
    def plain(key, sub=None):
        def get(res):
            v = res.get(sub, {}).get(key) if sub else res.get(key)
            return v, res.get("measure", {}).get("lg_cpu_pct")
        return get

    def cpu_per(count_key):
        """Server CPU-µs (from /proc) per counted delivery: unlike throughput, it holds
        when the load generator is the limit."""
        def get(res):
            m = res.get("measure", {})
            n = res.get(count_key)
            if not n or m.get("server_cpu_s") is None:
                return None, m.get("lg_cpu_pct")
            return 1e6 * m["server_cpu_s"] / n, m.get("lg_cpu_pct")
        return get

    rate = lambda v: f"{v:,.0f}/s"   # noqa: E731
    us = lambda v: f"{v:,.2f} µs"    # noqa: E731
    ms = lambda v: f"{v:,.2f} ms"    # noqa: E731
    rows = [
        (f"S5 login storm, {cfgs['s5']['clients']} clients (s)", "s5", plain("seconds"),
         False, lambda v: f"{v:.2f} s"),
        (f"S2 broadcast, {cfgs['s2']['clients']} clients / {cfgs['s2']['senders']} "
         f"senders (deliveries/s)", "s2", plain("deliveries_per_s"), True, rate),
        ("S2 under saturation, p99 latency", "s2", plain("p99_ms", "latency"), False, ms),
        ("S2 server CPU per delivery", "s2", cpu_per("delivered_in_window"), False, us),
        (f"S2-fixed {cfgs['s2fixed']['rate']} msg/s, p50 latency", "s2fixed",
         plain("p50_ms", "latency"), False, ms),
        (f"S2-fixed {cfgs['s2fixed']['rate']} msg/s, p99 latency", "s2fixed",
         plain("p99_ms", "latency"), False, ms),
        (f"S4 private, {cfgs['s4']['clients']} clients (msgs/s to recipients)", "s4",
         plain("msgs_per_s"), True, rate),
        ("S4 server CPU per private message delivered", "s4",
         cpu_per("delivered_to_recipients_in_window"), False, us),
    ]
    for i, n in enumerate(cfgs["scaling"]["points"]):
        def point(res, i=i, key="deliveries_per_s", sub=None):
            pts = res.get("points", [])
            if i >= len(pts):
                return None, None
            p = pts[i]
            if p.get("status") != "ok":
                return p, None
            v = p.get(sub, {}).get(key) if sub else p.get(key)
            return v, p.get("measure", {}).get("lg_cpu_pct")
        rows.append((f"Scaling {n} clients (deliveries/s)", "scaling", point, True, rate))
        rows.append((f"Scaling {n} clients, p99 latency", "scaling",
                     lambda res, i=i: point(res, i, "p99_ms", "latency"), False, ms))
    rows.append(("Idle: server RSS growth per connection", "idle", plain("kib_per_conn"),
                 False, lambda v: f"{v:.1f} KiB"))
    return rows


def build_report(results, servers, scenarios, cfgs, machine, quick):
    notes = []

    def note(text):
        if text not in notes:
            notes.append(text)
        return f"[{notes.index(text) + 1}]"

    def failed_cell(res):
        return f"{res.get('status', '?')} {note(res.get('reason', ''))}"

    lines = [f"# Chat server benchmark{' (quick smoke run)' if quick else ''}", "",
             f"- date: {machine['date']}",
             f"- machine: nproc={machine['nproc']}, CPU: {machine['cpu']}, "
             f"Python {machine['python']}, Linux {machine['kernel']}",
             f"- {machine['pinning']}; loopback 127.0.0.1 only",
             f"- background load before the run (busy % per core, other processes): "
             f"{machine.get('background_busy_pct')}"
             + ("  **— the machine was not idle; expect noisy numbers**"
                if max((machine.get("background_busy_pct") or {0: 0}).values()) > 10
                else ""), "",
             "Cells: value, (×N = times better than the asyncio baseline in this run), "
             "✓/✗ = nothing lost, lg = the load generator's own CPU use during the "
             "measured phase (near 100% means the numbers are a floor).", ""]
    header = "| scenario | " + " | ".join(servers) + " |"
    lines += [header, "|" + "---|" * (len(servers) + 1)]
    for label, sc, get, higher, fmt in metric_rows(cfgs):
        if sc not in scenarios:
            continue
        base = None
        if "asyncio" in results and isinstance(results["asyncio"].get(sc), dict):
            v, _ = get(results["asyncio"][sc]) if results["asyncio"][sc].get("status") in (
                "ok", "partial") else (None, None)
            base = v if isinstance(v, (int, float)) and v else None
        cells = []
        for s in servers:
            sres = results.get(s, {})
            if "unavailable" in sres:
                cells.append(f"n/a {note(s + ' not available: ' + sres['unavailable'])}")
                continue
            res = sres.get(sc)
            if res is None:
                cells.append("—")
                continue
            if res.get("status") not in ("ok", "partial"):
                cells.append(failed_cell(res))
                continue
            v, lg = get(res)
            if isinstance(v, dict):          # a scaling point that did not run
                cells.append(failed_cell(v))
                continue
            if v is None:
                cells.append("—")
                continue
            cell = fmt(v)
            if base and s != "asyncio" and v:
                ratio = v / base if higher else base / v
                cell += f" (×{ratio:.1f})"
            cell += " " + ("✓" if scenario_ok(res) else "✗ " + note(check_text(res)))
            if lg is not None:
                cell += f" lg {lg:.0f}%"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for s in servers:
        idle = results.get(s, {}).get("idle")
        if isinstance(idle, dict) and idle.get("note"):
            lines.append("")
            lines.append(f"Idle, {s}: {idle['note']}.")
    if notes:
        lines += ["", "Notes:"]
        lines += [f"{i}. {t}" for i, t in enumerate(notes, 1)]
    lines += ["", "CPU during each measured phase: the server process's own CPU, then in "
              "brackets core 0 / core 1 busy (kernel softirq work of loopback TCP and any "
              "other process included). Scaling: one per point; idle: while logging in.", ""]
    lines += [header, "|" + "---|" * (len(servers) + 1)]
    for sc in scenarios:
        cells = []
        for s in servers:
            res = results.get(s, {}).get(sc)
            cells.append(server_cpu_cell(res))
        lines.append(f"| {sc} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def server_cpu_cell(res):
    if not isinstance(res, dict):
        return "—"
    measures = [p.get("measure", {}) for p in res.get("points", [])] or [
        res.get("measure", {}) if "measure" in res else res.get("setup", {})]
    pcts = [f"{m['server_cpu_pct']:.0f}% ({m.get('core0_busy_pct', 0):.0f}/"
            f"{m.get('core1_busy_pct', 0):.0f})" for m in measures
            if m.get("server_cpu_pct") is not None]
    return " / ".join(pcts) if pcts else "—"


def scenario_ok(res):
    if "points" in res:
        return all(p.get("check", {}).get("ok") for p in res["points"]
                   if p.get("status") == "ok")
    return bool(res.get("check", {}).get("ok"))


def check_text(res):
    checks = [p.get("check", {}) for p in res.get("points", [])] or [res.get("check", {})]
    return "; ".join(f"expected {c.get('expected')} got {c.get('received')} "
                     f"(lost {c.get('lost')}, extra {c.get('extra')}, "
                     f"dead {c.get('dead_clients')})" for c in checks if not c.get("ok"))


# ---- main ----------------------------------------------------------------------------------
def parse_args():
    p = argparse.ArgumentParser(description="Chat server benchmark (loopback only).")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--servers", default="project,project-nostore,asyncio,threaded,project@ws,"
                                        "project@mixed,project@irc,ngircd@irc",
                   help=f"comma list of {','.join(SERVERS)}, each optionally "
                        f"@DIALECT ({','.join(loadgen.DIALECTS)}), e.g. ngircd@irc")
    p.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help=f"comma list of {','.join(SCENARIOS)}")
    p.add_argument("--duration", type=float, help="override every measured phase's length")
    p.add_argument("--out", help="results name under bench/results/ "
                                 "(default: latest, or quick with --quick)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--project-root", type=Path,
                   help="run the project server from another checkout, e.g. a git worktree "
                        "of an older commit, to measure what a change bought")
    p.add_argument("--root", action="append", default=[], metavar="NAME=PATH",
                   help="one more server column NAME: the project (keeping the lesson) run "
                        "from the checkout at PATH, e.g. before=/tmp/before; repeatable")
    args = p.parse_args()
    if args.project_root:
        root = args.project_root.resolve()
        SERVERS["project"].update(script=root / "run_server.py", cwd=root)
    for item in args.root:
        name, _, path = item.partition("=")
        root = Path(path).resolve()
        if not name or not path or name in SERVERS:
            p.error(f"--root {item!r}: want a new NAME=PATH")
        SERVERS[name] = dict(SERVERS["project"], script=root / "run_server.py", cwd=root)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in args.servers:
        server, dialect = split_column(s)
        if server not in SERVERS:
            p.error(f"unknown server {server!r}")
        if dialect not in loadgen.DIALECTS:
            p.error(f"unknown dialect {dialect!r} in {s!r}")
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    args.scenarios = [s for s in SCENARIOS if s in args.scenarios]  # S5 first: it calibrates
    return args


def main():
    args = parse_args()
    if len(os.sched_getaffinity(0)) >= 2:
        os.sched_setaffinity(0, {LOADGEN_CORE})
    else:
        print("warning: fewer than 2 cores; server and load generator share one",
              file=sys.stderr)
    loadgen.raise_nofile_limit()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    cfgs = json.loads(json.dumps(QUICK if args.quick else FULL))
    if args.duration:
        for c in cfgs.values():
            if "duration" in c:
                c["duration"] = args.duration
    name = args.out or ("quick" if args.quick else "latest")
    RESULTS.mkdir(exist_ok=True)
    logdir = RESULTS / "logs"
    logdir.mkdir(exist_ok=True)
    machine = machine_info()
    machine["background_busy_pct"] = background_load()
    t0 = time.perf_counter()
    results = {}
    for s in args.servers:
        results[s] = run_server(s, args.scenarios, cfgs, logdir)
    total = time.perf_counter() - t0
    report = build_report(results, args.servers, args.scenarios, cfgs, machine, args.quick)
    report += f"\nTotal wall time: {total:.0f} s. Raw numbers: bench/results/{name}.json\n"
    if not args.no_plot and "scaling" in args.scenarios:
        png = RESULTS / f"{name}.png"
        if plot.scaling_png(results, png):
            report += f"Scaling plot: bench/results/{name}.png\n"
    (RESULTS / f"{name}.md").write_text(report)
    (RESULTS / f"{name}.json").write_text(json.dumps(
        {"machine": machine, "quick": args.quick, "config": cfgs,
         "total_wall_s": round(total, 1), "results": results}, indent=1))
    print(report)


if __name__ == "__main__":
    main()
