"""The classroom report and the docs around it stay true: the code excerpts equal the
code, the figures equal bench/results, every link and image resolves, and the three
languages keep the same sections and excerpts."""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

DOCS = ROOT / "docs"


def _load_excerpts():
    spec = importlib.util.spec_from_file_location("docs_excerpts", DOCS / "excerpts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


excerpts = _load_excerpts()
REPORTS = {lang: ROOT / path for lang, path in excerpts.REPORTS.items()}
BLOCK = re.compile(r"<!-- (excerpt|figures|value): ([\w.-]+) -->")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def test_every_excerpt_is_found_in_its_file():
    for excerpt in excerpts.EXCERPTS:
        code = excerpts.source_of(excerpt)
        assert code.strip(), excerpt.name
        last = excerpt.what.rsplit(".", 1)[-1]
        assert last in code.splitlines()[0], (excerpt.name, code.splitlines()[0])


def test_the_reports_are_current_with_the_code_and_the_results():
    problems = excerpts.stale()
    assert not problems, ("stale blocks (run: python docs/excerpts.py --write):\n"
                          + "\n".join(problems))


def test_the_check_command_passes():
    done = subprocess.run([sys.executable, str(DOCS / "excerpts.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _copy_of_the_sources(tmp_path: Path) -> Path:
    for path in {e.path for e in excerpts.EXCERPTS} | set(excerpts.REPORTS.values()) | {
            excerpts.RESULTS}:
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, target)
    return tmp_path


def test_the_check_fails_when_the_code_of_an_excerpt_changes(tmp_path):
    root = _copy_of_the_sources(tmp_path)
    assert excerpts.stale(root) == []
    loop = root / "server/loop.py"
    text = loop.read_text(encoding="utf-8")
    changed = text.replace("ready = self.selector.select(0 if busy else TICK)",
                           "ready = self.selector.select(TICK)")
    assert changed != text, "the line this test edits is gone from server/loop.py"
    loop.write_text(changed, encoding="utf-8")
    stale = excerpts.stale(root)
    assert sorted(stale) == sorted(f"{report}: excerpt loop"
                                   for report in excerpts.REPORTS.values())
    # A JavaScript excerpt too, found by its braces.
    link = root / "web_client/link.js"
    link.write_text(link.read_text(encoding="utf-8").replace(
        'this.handlers.ended(event.reason || "");', "this.handlers.ended('');"),
        encoding="utf-8")
    assert any(item.endswith("excerpt link-connect") for item in excerpts.stale(root))
    excerpts.write(root)
    assert excerpts.stale(root) == []
    assert "this.handlers.ended('');" in (root / "docs/report.md").read_text(encoding="utf-8")


def test_the_check_fails_when_the_results_change(tmp_path):
    root = _copy_of_the_sources(tmp_path)
    results_path = root / excerpts.RESULTS
    results = json.loads(results_path.read_text(encoding="utf-8"))
    results["results"]["project"]["s2"]["deliveries_per_s"] = 1234567
    results_path.write_text(json.dumps(results), encoding="utf-8")
    stale = excerpts.stale(root)
    assert "docs/report.md: figures speed" in stale
    assert "docs/report.ru.md: figures speed" in stale


def _block(text: str, kind: str, name: str) -> str:
    match = re.search(rf"<!-- {kind}: {re.escape(name)} -->(.*?)<!-- /{kind} -->", text, re.S)
    assert match, f"no {kind} block {name}"
    return match.group(1)


@pytest.mark.parametrize("lang", list(excerpts.REPORTS))
def test_the_speed_figures_are_those_of_the_results_file(lang):
    """Read from the JSON here, not through the renderer: the table shows these values."""
    results = json.loads((ROOT / excerpts.RESULTS).read_text(encoding="utf-8"))
    text = REPORTS[lang].read_text(encoding="utf-8")
    speed = _block(text, "figures", "speed")
    project = results["results"]["project"]
    shown = {
        "s2": (lambda: project["s2"]["deliveries_per_s"], 0),
        "s4": (lambda: project["s4"]["msgs_per_s"], 0),
        "s5": (lambda: project["s5"]["seconds"], 2),
        "p50": (lambda: project["s2fixed"]["latency"]["p50_ms"], 2),
        "p99": (lambda: project["s2fixed"]["latency"]["p99_ms"], 2),
        "idle": (lambda: project["idle"]["kib_per_conn"], 1),
    }
    for name, (read, places) in shown.items():
        if project.get(excerpts.FIGURES[name][0], {}).get("status") != "ok":
            continue   # a scenario that failed in that run is shown as "—"
        value = read()
        digits = f"{value:.{places}f}".replace(".", "")
        numbers = {re.sub(r"\D", "", cell) for cell in re.findall(r"\d[\d,.\u00a0]*", speed)}
        assert digits in numbers, (lang, name, value)
    assert f"`{excerpts.RESULTS}`" in _block(text, "figures", "machine")
    date = results["machine"]["date"][:10]
    assert date in _block(text, "figures", "machine")


def test_the_reports_have_the_same_sections_excerpts_and_pictures():
    def shape(text):
        headings = [len(m.group(1)) for m in re.finditer(r"^(#+) ", FENCE.sub("", text), re.M)]
        blocks = BLOCK.findall(text)
        images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        return headings, blocks, images

    english = shape(REPORTS["en"].read_text(encoding="utf-8"))
    assert len(english[1]) >= len(excerpts.EXCERPTS)
    assert {name for kind, name in english[1] if kind == "excerpt"} == {
        e.name for e in excerpts.EXCERPTS}, "every excerpt is used in the report"
    for lang, path in REPORTS.items():
        headings, blocks, images = shape(path.read_text(encoding="utf-8"))
        assert headings == english[0], f"{lang}: the sections differ from the English"
        assert blocks == english[1], f"{lang}: the excerpts or figures differ"
        for image in images:
            if "12-window-ru" not in image and "13-window-pt" not in image:
                assert image in english[2], f"{lang}: {image} is not in the English report"


@pytest.mark.parametrize("lang,letters", [("ru", "[а-яё]"), ("pt", "[ãõçáéíóúâêô]")])
def test_the_translations_are_translated(lang, letters):
    prose = FENCE.sub("", REPORTS[lang].read_text(encoding="utf-8"))
    prose = re.sub(r"`[^`]*`|<!--.*?-->|\([^)]*\)", "", prose, flags=re.S)
    assert len(re.findall(letters, prose, re.I)) > 300, lang
    # Outside code and image captions, English is left only in names and quotes.
    assert len(re.findall(r"\bthe\b", prose, re.I)) < 15, lang


def _markdown_files():
    return sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]


def _links(path: Path):
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", FENCE.sub("", path.read_text(encoding="utf-8")),
                              re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: p.name)
def test_every_link_and_image_resolves(path):
    broken = []
    for target in _links(path):
        if re.match(r"[a-z]+:", target):          # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(target)
    assert not broken, f"{path.name}: {broken}"


def test_the_readme_links_the_report_and_the_classroom_page_after_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    assert "(docs/report.md)" in section
    assert "(docs/classroom.md)" in section
