#!/usr/bin/env python3
"""Keep the classroom report's code excerpts and figures equal to their sources.

    python docs/excerpts.py --write     # render every block into docs/report*.md
    python docs/excerpts.py --check     # exit 1 and name each block that is stale

A report holds three kinds of generated block, each between an opening and a closing
HTML comment that Markdown does not show:

    <!-- excerpt: NAME --> ... <!-- /excerpt -->    code copied from a real file
    <!-- figures: NAME --> ... <!-- /figures -->    a table made from RESULTS
    <!-- value: NAME -->4,120,856<!-- /value -->    one figure inside a sentence

An excerpt is named by file and by what it is, never by line numbers, so it survives
edits elsewhere in the file: for Python a `def`, a `class` or a module-level assignment
found with `ast` ("ChatServer.serve_forever", "DIALECTS"); for JavaScript a function,
a class's method or a `const` found by its first line, ending where its braces close
("Link.connect", "sendInput", "link"). Excerpts are the same in every language; figures
are written in each report's own language and number format.
"""

import ast
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = {"en": "docs/report.md", "ru": "docs/report.ru.md", "pt": "docs/report.pt.md"}
RESULTS = "bench/results/latest.json"     # the one results file the report cites


@dataclass(frozen=True)
class Excerpt:
    name: str
    path: str
    what: str


EXCERPTS = [
    # the loop
    Excerpt("loop", "server/loop.py", "ChatServer.serve_forever"),
    Excerpt("accept", "server/loop.py", "ChatServer._accept"),
    Excerpt("read", "server/loop.py", "ChatServer._read"),
    Excerpt("flush", "server/loop.py", "ChatServer._flush"),
    # a connection's buffers
    Excerpt("framing", "protocol/framing.py", "LineDecoder.feed"),
    Excerpt("queue", "server/connection.py", "Connection.queue"),
    Excerpt("take-output", "server/connection.py", "Connection.take_output"),
    Excerpt("token-bucket", "server/connection.py", "TokenBucket"),
    # the dialect seam
    Excerpt("dialects", "server/dialects/__init__.py", "DIALECTS"),
    Excerpt("detect", "server/dialects/__init__.py", "detect"),
    Excerpt("json-lines", "server/dialects/lines.py", "JsonLines"),
    Excerpt("outgoing", "server/outgoing.py", "Outgoing"),
    Excerpt("websocket-accept", "protocol/http.py", "websocket_accept"),
    Excerpt("upgrade", "server/dialects/web.py", "Http._upgrade"),
    # the chat room
    Excerpt("room-handle", "server/chat.py", "ChatRoom.handle"),
    Excerpt("say", "server/chat.py", "ChatRoom._say"),
    Excerpt("send-to-all", "server/connection.py", "send_to_all"),
    # the desktop client
    Excerpt("client-read", "desktop_client/net.py", "Connection._read"),
    Excerpt("client-post", "desktop_client/net.py", "Connection._post"),
    Excerpt("client-write", "desktop_client/net.py", "Connection._write"),
    Excerpt("pump", "desktop_client/app.py", "ChatApp.pump"),
    Excerpt("send-typed", "desktop_client/app.py", "ChatApp.send_typed"),
    # the browser client
    Excerpt("link-connect", "web_client/link.js", "Link.connect"),
    Excerpt("web-link", "web_client/app.js", "link"),
    Excerpt("send-input", "web_client/app.js", "sendInput"),
]

_BLOCK = re.compile(r"<!-- (excerpt|figures|value): ([\w.-]+) -->(.*?)<!-- /\1 -->", re.S)


class ExcerptError(Exception):
    """A named excerpt, figure or block that cannot be found."""


# ---- finding code -------------------------------------------------------------------

def source_of(excerpt: Excerpt, root: Path = ROOT) -> str:
    path = root / excerpt.path
    if not path.is_file():
        raise ExcerptError(f"{excerpt.name}: {excerpt.path} does not exist")
    text = path.read_text(encoding="utf-8")
    if excerpt.path.endswith(".py"):
        return _python(text, excerpt)
    if excerpt.path.endswith(".js"):
        return _javascript(text, excerpt)
    raise ExcerptError(f"{excerpt.name}: no way to cut an excerpt from {excerpt.path}")


def _python(text: str, excerpt: Excerpt) -> str:
    body = ast.parse(text).body
    node = None
    for part in excerpt.what.split("."):
        node = next((n for n in body if _python_name(n) == part), None)
        if node is None:
            raise ExcerptError(f"{excerpt.name}: no {excerpt.what} in {excerpt.path}")
        body = getattr(node, "body", [])
    lines = text.splitlines()
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return textwrap.dedent("\n".join(lines[first - 1:node.end_lineno]))


def _python_name(node) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _javascript(text: str, excerpt: Excerpt) -> str:
    lines = text.splitlines()
    start = 0
    if "." in excerpt.what:
        owner, name = excerpt.what.split(".", 1)
        start = _first_line(lines, rf"^(export\s+)?class\s+{owner}\b", 0, excerpt)
        start = _first_line(lines, rf"^\s+(async\s+|static\s+|get\s+)?{name}\s*\(.*\)\s*\{{",
                            start + 1, excerpt)
    else:
        name = excerpt.what
        start = _first_line(lines, rf"^(export\s+)?((async\s+)?function\s+{name}\s*\(|"
                                   rf"(const|let|var|class)\s+{name}\b)", 0, excerpt)
    end = _end_of_braces(lines, start, excerpt)
    return textwrap.dedent("\n".join(lines[start:end + 1]))


def _first_line(lines, pattern: str, since: int, excerpt: Excerpt) -> int:
    found = re.compile(pattern)
    for number in range(since, len(lines)):
        if found.search(lines[number]):
            return number
    raise ExcerptError(f"{excerpt.name}: no {excerpt.what} in {excerpt.path}")


def _end_of_braces(lines, start: int, excerpt: Excerpt) -> int:
    """The line on which the braces opened on or after `start` are all closed again.
    Strings, template literals and comments are skipped (a brace in them is text)."""
    depth, opened, quote, block_comment = 0, False, None, False
    for number in range(start, len(lines)):
        line, i = lines[number], 0
        while i < len(line):
            char, pair = line[i], line[i:i + 2]
            if block_comment:
                if pair == "*/":
                    block_comment, i = False, i + 1
            elif quote:
                if char == "\\":
                    i += 1
                elif char == quote:
                    quote = None
            elif pair == "//":
                break
            elif pair == "/*":
                block_comment, i = True, i + 1
            elif char in "'\"`":
                quote = char
            elif char == "{":
                depth, opened = depth + 1, True
            elif char == "}":
                depth -= 1
            i += 1
        if quote != "`":
            quote = None          # only a template literal runs on to the next line
        if opened and depth == 0:
            return number
    raise ExcerptError(f"{excerpt.name}: the braces of {excerpt.what} never close")


def render_excerpt(excerpt: Excerpt, root: Path = ROOT) -> str:
    language = "javascript" if excerpt.path.endswith(".js") else "python"
    code = source_of(excerpt, root)
    return f"\n`{excerpt.path}` — `{excerpt.what}`\n\n```{language}\n{code}\n```\n"


# ---- figures --------------------------------------------------------------------------

def load_results(root: Path = ROOT) -> dict:
    return json.loads((root / RESULTS).read_text(encoding="utf-8"))


def number(value, lang: str, places: int = 0) -> str:
    """4120856 -> "4,120,856" (en), "4 120 856" (ru), "4.120.856" (pt)."""
    text = f"{value:,.{places}f}"
    if lang == "en":
        return text
    group = "\u00a0" if lang == "ru" else "."
    return text.replace(",", "\0").replace(".", ",").replace("\0", group)


def _get(results: dict, server: str, *path):
    value = results.get("results", {}).get(server)
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            return None
    return value


def _ok(results: dict, server: str, scenario: str) -> bool:
    return _get(results, server, scenario, "status") == "ok"


def _nothing_lost(results: dict, server: str) -> bool | None:
    """True when every check of every scenario this server ran lost nothing."""
    checks = []

    def walk(value):
        if isinstance(value, dict):
            if "check" in value and isinstance(value["check"], dict):
                checks.append(value["check"])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(results.get("results", {}).get(server))
    if not checks:
        return None
    return all(c.get("ok") and not c.get("lost") and not c.get("extra") for c in checks)


# Each figure: (scenario, path to the value, decimal places, unit kind, better when).
FIGURES = {
    "s2": ("s2", ("deliveries_per_s",), 0, "per_s", "higher"),
    "s4": ("s4", ("msgs_per_s",), 0, "per_s", "higher"),
    "s5": ("s5", ("seconds",), 2, "s", "lower"),
    "p50": ("s2fixed", ("latency", "p50_ms"), 2, "ms", "lower"),
    "p99": ("s2fixed", ("latency", "p99_ms"), 2, "ms", "lower"),
    "idle": ("idle", ("kib_per_conn",), 1, "kib", "lower"),
}
TARGETS = {"s2": ("ratio", 25), "s4": ("at_least", 100_000), "s5": ("at_most", 1.0),
           "p99": ("at_most", 2.0), "idle": ("at_most", 10.0)}
SERVERS = ("project", "asyncio", "threaded")

WORDS = {
    "en": {
        "scenario": "scenario", "project": "this server", "asyncio": "asyncio",
        "threaded": "thread per client", "target": "target", "verdict": "",
        "met": "met", "missed": "**missed**", "none": "—",
        "s2": "S2: {clients} clients, {senders} broadcasting as fast as they can — deliveries/s",
        "s4": "S4: {clients} clients sending private messages — messages/s",
        "s5": "S5: {clients} clients log in — seconds until everyone knows everyone",
        "p50": "S2 at a fixed {rate} messages/s — p50 latency, ms",
        "p99": "S2 at a fixed {rate} messages/s — p99 latency, ms",
        "idle": "{clients} idle logged-in connections — server memory per connection, KiB",
        "lost": "nothing lost or doubled, in every scenario",
        "ratio": "≥ {n}× asyncio", "at_least": "≥ {n}", "at_most": "≤ {n}",
        "at_n": " (at {n})", "yes": "✓", "no": "✗",
        "clients": "clients", "deliveries": "deliveries/s", "p99_sat": "p99, ms (saturated)",
        "lg": "load generator CPU",
        "machine": "Measured on {date} on {nproc} cores ({cpu}), Python {python}, loopback; "
                   "server and load generator pinned to one core each. Source: `{file}`.",
        "quick": " This was a short (`--quick`) run.",
    },
    "ru": {
        "scenario": "сценарий", "project": "этот сервер", "asyncio": "asyncio",
        "threaded": "поток на клиента", "target": "цель", "verdict": "",
        "met": "выполнена", "missed": "**не выполнена**", "none": "—",
        "s2": "S2: {clients} клиентов, {senders} рассылают всем так быстро, как могут — доставок/с",
        "s4": "S4: {clients} клиентов шлют личные сообщения — сообщений/с",
        "s5": "S5: входят {clients} клиентов — секунд, пока все не узнают обо всех",
        "p50": "S2 при {rate} сообщений/с — задержка p50, мс",
        "p99": "S2 при {rate} сообщений/с — задержка p99, мс",
        "idle": "{clients} подключённых простаивающих клиентов — память сервера на соединение, КиБ",
        "lost": "ничего не потеряно и не задвоено ни в одном сценарии",
        "ratio": "≥ {n}× asyncio", "at_least": "≥ {n}", "at_most": "≤ {n}",
        "at_n": " (при {n})", "yes": "✓", "no": "✗",
        "clients": "клиентов", "deliveries": "доставок/с", "p99_sat": "p99, мс (при насыщении)",
        "lg": "ЦП генератора нагрузки",
        "machine": "Измерено {date} на {nproc} ядрах ({cpu}), Python {python}, через "
                   "loopback; сервер и генератор нагрузки закреплены каждый за своим ядром. "
                   "Источник: `{file}`.",
        "quick": " Это был короткий прогон (`--quick`).",
    },
    "pt": {
        "scenario": "cenário", "project": "este servidor", "asyncio": "asyncio",
        "threaded": "uma thread por cliente", "target": "meta", "verdict": "",
        "met": "cumprida", "missed": "**não cumprida**", "none": "—",
        "s2": "S2: {clients} clientes, {senders} enviando a todos o mais rápido possível — entregas/s",
        "s4": "S4: {clients} clientes enviando mensagens privadas — mensagens/s",
        "s5": "S5: {clients} clientes entram — segundos até todos saberem de todos",
        "p50": "S2 a {rate} mensagens/s fixas — latência p50, ms",
        "p99": "S2 a {rate} mensagens/s fixas — latência p99, ms",
        "idle": "{clients} conexões ociosas já logadas — memória do servidor por conexão, KiB",
        "lost": "nada perdido nem duplicado, em nenhum cenário",
        "ratio": "≥ {n}× asyncio", "at_least": "≥ {n}", "at_most": "≤ {n}",
        "at_n": " (com {n})", "yes": "✓", "no": "✗",
        "clients": "clientes", "deliveries": "entregas/s", "p99_sat": "p99, ms (saturado)",
        "lg": "CPU do gerador de carga",
        "machine": "Medido em {date} em {nproc} núcleos ({cpu}), Python {python}, via "
                   "loopback; servidor e gerador de carga fixados cada um em um núcleo. "
                   "Fonte: `{file}`.",
        "quick": " Esta foi uma execução curta (`--quick`).",
    },
}


def figure(results: dict, key: str, server: str = "project"):
    scenario, path, _, _, _ = FIGURES[key]
    if not _ok(results, server, scenario):
        return None
    return _get(results, server, scenario, *path)


def ratio(results: dict, key: str):
    """How many times better than the asyncio baseline (None when not comparable)."""
    mine, theirs = figure(results, key), figure(results, key, "asyncio")
    if not mine or not theirs:
        return None
    higher = FIGURES[key][4] == "higher"
    return mine / theirs if higher else theirs / mine


def _show(results: dict, key: str, server: str, lang: str, where: bool = True) -> str:
    words = WORDS[lang]
    value = figure(results, key, server)
    if value is None:
        return words["none"]
    text = number(value, lang, FIGURES[key][2])
    if key == "idle" and where:
        clients = _get(results, server, "idle", "clients")
        idle_project = _get(results, "project", "idle", "clients")
        if clients and clients != idle_project:
            text += words["at_n"].format(n=number(clients, lang))
    return text


def _verdict(results: dict, key: str, lang: str) -> tuple[str, str]:
    words = WORDS[lang]
    if key not in TARGETS:
        return "", ""
    kind, bound = TARGETS[key]
    shown = number(bound, lang, 0 if float(bound).is_integer() else 1)
    target = words[kind].format(n=shown)
    value = ratio(results, key) if kind == "ratio" else figure(results, key)
    if value is None:
        return target, words["none"]
    met = value >= bound if kind in ("ratio", "at_least") else value <= bound
    return target, words["met" if met else "missed"]


def _label(results: dict, key: str, lang: str) -> str:
    """A row's name, with the numbers of clients and senders the run used."""
    scenario = FIGURES[key][0]
    found = {name: _get(results, "project", scenario, name)
             for name in ("clients", "senders", "rate")}
    shown = {name: number(n, lang) if isinstance(n, (int, float)) else "?"
             for name, n in found.items()}
    return WORDS[lang][key].format(**shown)


def table_speed(results: dict, lang: str) -> str:
    w = WORDS[lang]
    rows = [f"| {w['scenario']} | {w['project']} | {w['asyncio']} | {w['threaded']} "
            f"| {w['target']} | |",
            "|---|---|---|---|---|---|"]
    for key in ("s2", "s4", "s5", "p50", "p99", "idle"):
        mine = _show(results, key, "project", lang)
        times = ratio(results, key)
        if times is not None and key != "p50":
            mine += f" (×{number(times, lang, 1)})"
        target, verdict = _verdict(results, key, lang)
        rows.append(f"| {_label(results, key, lang)} | {mine} | {_show(results, key, 'asyncio', lang)} "
                    f"| {_show(results, key, 'threaded', lang)} | {target} | {verdict} |")
    lost = [_nothing_lost(results, server) for server in SERVERS]
    marks = [w["none"] if ok is None else w["yes" if ok else "no"] for ok in lost]
    rows.append(f"| {w['lost']} | {marks[0]} | {marks[1]} | {marks[2]} | | |")
    return "\n" + "\n".join(rows) + "\n"


def table_scaling(results: dict, lang: str) -> str:
    w = WORDS[lang]
    rows = [f"| {w['clients']} | {w['deliveries']} | {w['p99_sat']} | {w['lg']} |",
            "|---|---|---|---|"]
    for point in _get(results, "project", "scaling", "points") or []:
        if point.get("status") != "ok":
            continue
        latency = point.get("latency") or {}
        lg = (point.get("measure") or {}).get("lg_cpu_pct")
        rows.append(f"| {number(point['clients'], lang)} "
                    f"| {number(point['deliveries_per_s'], lang)} "
                    f"| {number(latency.get('p99_ms', 0), lang, 1)} "
                    f"| {number(lg, lang) + ' %' if lg is not None else w['none']} |")
    return "\n" + "\n".join(rows) + "\n"


def machine(results: dict, lang: str) -> str:
    m = results.get("machine", {})
    text = WORDS[lang]["machine"].format(date=str(m.get("date", "?"))[:10],
                                         nproc=m.get("nproc", "?"), cpu=m.get("cpu", "?"),
                                         python=m.get("python", "?"), file=RESULTS)
    if results.get("quick"):
        text += WORDS[lang]["quick"]
    return "\n" + text + "\n"


def value(results: dict, name: str, lang: str) -> str:
    """One figure for a sentence: "s2", "s2.asyncio", "s2.ratio", "p99.target" …"""
    key, _, which = name.partition(".")
    if key == "date":
        return str(results.get("machine", {}).get("date", "?"))[:10]
    if key not in FIGURES:
        raise ExcerptError(f"no figure called {name}")
    if which == "ratio":
        times = ratio(results, key)
        return WORDS[lang]["none"] if times is None else f"×{number(times, lang, 1)}"
    if which == "verdict":
        return _verdict(results, key, lang)[1]
    return _show(results, key, which or "project", lang, where=False)


TABLES = {"speed": table_speed, "scaling": table_scaling, "machine": machine}


# ---- rendering the reports --------------------------------------------------------------

def render(text: str, lang: str, root: Path = ROOT) -> str:
    excerpts = {e.name: e for e in EXCERPTS}
    results = None

    def replace(match):
        nonlocal results
        kind, name = match.group(1), match.group(2)
        if kind == "excerpt":
            if name not in excerpts:
                raise ExcerptError(f"the report names an unknown excerpt: {name}")
            body = render_excerpt(excerpts[name], root)
        else:
            if results is None:
                results = load_results(root)
            if kind == "figures":
                if name not in TABLES:
                    raise ExcerptError(f"the report names an unknown table: {name}")
                body = TABLES[name](results, lang)
            else:
                body = value(results, name, lang)
        return f"<!-- {kind}: {name} -->{body}<!-- /{kind} -->"

    return _BLOCK.sub(replace, text)


def stale(root: Path = ROOT) -> list[str]:
    """The blocks (as "report: kind name") whose text differs from what --write makes."""
    found = []
    for lang, report in REPORTS.items():
        path = root / report
        if not path.is_file():
            found.append(f"{report}: missing")
            continue
        text = path.read_text(encoding="utf-8")
        fresh = render(text, lang, root)
        now = {(m.group(1), m.group(2)): m.group(0) for m in _BLOCK.finditer(text)}
        for match in _BLOCK.finditer(fresh):
            if now.get((match.group(1), match.group(2))) != match.group(0):
                found.append(f"{report}: {match.group(1)} {match.group(2)}")
    return found


def write(root: Path = ROOT) -> list[str]:
    changed = []
    for lang, report in REPORTS.items():
        path = root / report
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        fresh = render(text, lang, root)
        if fresh != text:
            path.write_text(fresh, encoding="utf-8")
            changed.append(report)
    return changed


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        for report in write():
            print(f"updated {report}")
        return 0
    if argv == ["--check"]:
        problems = stale()
        for problem in problems:
            print(f"stale: {problem}")
        if problems:
            print("run: python docs/excerpts.py --write", file=sys.stderr)
            return 1
        print(f"{len(EXCERPTS)} excerpts and the figures of {RESULTS} are current "
              f"in {len(REPORTS)} reports")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ExcerptError as error:
        sys.exit(f"docs/excerpts.py: {error}")
