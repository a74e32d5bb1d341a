"""The one-file app: the server and the desktop client in one zip application.

`build()` is the only way it is made: `python build_app.py` writes its bytes to `dist/`,
and the server builds the same bytes in memory at start to hand them out at
`/download/...`. The format is the standard library's `zipapp` (a `#!` line, then a zip
with `__main__.py` at its top). The zip is written with `zipfile` rather than
`zipapp.create_archive`, which stamps every entry with the file's modification time:
here names are sorted and every entry has the same date and mode, so the same sources
give the same bytes on any machine with the same zlib.
"""

import io
import sys
import zipfile
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "server", "desktop_client", "web_client")
TOP_FILES = ("run_server.py", "run_client.py")
ENTRY = "app_main.py"              # stored in the archive as __main__.py
DATA_SUFFIXES = {".json", ".png", ".ico"}   # besides .py; web_client/ is taken whole
INTERPRETER = "/usr/bin/env python3"     # Linux, macOS: the python3 first on the PATH
# Windows' launcher (pyw.exe for .pyzw) reads the #! line too: "/usr/bin/env python3" would
# have it search the PATH for python3.exe and run that, console and all; "/usr/bin/python3"
# is one of its virtual commands: the newest installed Python 3, windowed (pythonw.exe).
WINDOWS_INTERPRETER = "/usr/bin/python3"
APP_NAME = "classchat.pyz"           # python classchat.pyz: a console (the server's home)
WINDOWS_NAME = "ClassChat.pyzw"      # pythonw: no console window on Windows
DOWNLOADS = (APP_NAME, WINDOWS_NAME)
_DATE = (1980, 1, 1, 0, 0, 0)        # the earliest date a zip can hold
_MODE = 0o644 << 16                  # -rw-r--r-- in the entry's Unix attributes


def source_files(root: Path = SOURCE_ROOT) -> list[tuple[str, Path]]:
    """(name in the archive, file) for every file the app needs, sorted by name."""
    chosen = [("__main__.py", root / ENTRY)]
    chosen += [(name, root / name) for name in TOP_FILES]
    for package in PACKAGES:
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root)
            if (not path.is_file() or "__pycache__" in relative.parts
                    or any(part.startswith(".") for part in relative.parts)):
                continue
            if package == "web_client" or path.suffix in (".py", *DATA_SUFFIXES):
                chosen.append((relative.as_posix(), path))
    missing = [str(path) for _, path in chosen if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"the app's sources are incomplete: {', '.join(missing)}")
    return sorted(chosen)


def build(root: Path = SOURCE_ROOT, interpreter: str = INTERPRETER) -> bytes:
    """The one-file app's bytes: the same sources give the same bytes."""
    # The zip's offsets count from its own start (it is written alone, the #! line put in
    # front after): readers allow for what comes before, so that line may change.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in source_files(root):
            entry = zipfile.ZipInfo(name, date_time=_DATE)
            entry.create_system = 3            # "Unix" wherever it is built
            entry.external_attr = _MODE
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes(), compresslevel=9)
    return f"#!{interpreter}\n".encode("utf-8") + buffer.getvalue()


def with_interpreter(app: bytes, interpreter: str) -> bytes:
    """The same archive behind another #! line."""
    return f"#!{interpreter}\n".encode("utf-8") + app[app.index(b"\n") + 1:]


def for_windows(app: bytes) -> bytes:
    """ClassChat.pyzw: the app with Windows' #! line."""
    return with_interpreter(app, WINDOWS_INTERPRETER)


def running_archive() -> Path | None:
    """The .pyz this code runs from, or None when it runs from the source folder."""
    archive = getattr(__loader__, "archive", None)    # set by zipimport only
    return Path(archive) if archive else None


def apps_for_download(root: Path = SOURCE_ROOT) -> tuple[dict[str, bytes], str]:
    """{file name: bytes} of both downloads, and where they came from (for the log)."""
    app, source = app_for_download(root)
    return {APP_NAME: app, WINDOWS_NAME: for_windows(app)}, source


def app_for_download(root: Path = SOURCE_ROOT) -> tuple[bytes, str]:
    """The app's bytes to hand out, and where they came from (for the log).

    Running from the one-file app, that file itself; else `dist/classchat.pyz` when it
    is at least as new as every source (a stale one is never handed out); else built
    now, in memory."""
    archive = running_archive()
    if archive is not None:
        # (ClassChat.pyzw too may run the server: hand out each with its own #! line)
        return with_interpreter(archive.read_bytes(), INTERPRETER), f"this app ({archive})"
    built = root / "dist" / APP_NAME
    if built.is_file():
        newest_source = max(path.stat().st_mtime for _, path in source_files(root))
        if built.stat().st_mtime >= newest_source:
            return built.read_bytes(), str(built)
    return build(root), "built from the sources at start"


def web_files_in_archive() -> dict[str, bytes]:
    """The browser client's files when the server runs from the one-file app (the server
    reads them from web_client/ itself otherwise): {"/index.html": bytes, ...}."""
    archive = running_archive()
    if archive is None:
        return {}
    files = {}
    with zipfile.ZipFile(archive) as zipped:
        for name in zipped.namelist():
            if name.startswith("web_client/") and not name.endswith("/"):
                files["/" + name[len("web_client/"):]] = zipped.read(name)
    if "/index.html" in files:
        files["/"] = files["/index.html"]
    return files


def download_headers(name: str) -> tuple:
    # octet-stream, not application/zip: browsers then keep the name as given instead of
    # adding ".zip" or unpacking it (Safari opens "safe" zips after downloading).
    return (("Content-Disposition", f'attachment; filename="{name}"'),)


def web_extra(apps: dict[str, bytes] | None) -> dict:
    """What run_server.py hands to WebAssets(extra=...): the downloads, if any ({file
    name: bytes}), and, inside the one-file app, the browser client's files."""
    extra = {path: (body, ()) for path, body in web_files_in_archive().items()}
    for name, body in (apps or {}).items():
        extra[f"/download/{name}"] = (body, download_headers(name))
    return extra


if __name__ == "__main__":
    sys.exit("build the app with: python build_app.py")
