"""`python build_app.py`: one file with the server and the client, the same bytes from
the same sources, and what the server hands out is what the build wrote."""

import os
import subprocess
import sys
import zipapp
import zipfile

from server import app_bundle
from server.settings import Settings
from tests.app.conftest import ROOT


def test_the_build_writes_the_app_and_its_windows_twin(dist):
    pyz, pyzw = dist / "classchat.pyz", dist / "ClassChat.pyzw"
    assert zipapp.get_interpreter(str(pyz)) == "/usr/bin/env python3"
    # Windows' launcher: a virtual command (pythonw.exe), never a PATH search (python3.exe)
    assert zipapp.get_interpreter(str(pyzw)) == "/usr/bin/python3"
    assert pyzw.read_bytes() == app_bundle.for_windows(pyz.read_bytes())
    with zipfile.ZipFile(pyz) as app, zipfile.ZipFile(pyzw) as twin:
        assert [(i.filename, i.CRC) for i in app.infolist()] == \
            [(i.filename, i.CRC) for i in twin.infolist()]
        assert twin.testzip() is None
    result = subprocess.run([sys.executable, str(pyzw), "--help"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and "--install-launcher" in result.stdout
    if sys.platform != "win32":
        assert pyz.stat().st_mode & 0o111           # ./classchat.pyz runs too


def test_the_same_sources_give_the_same_bytes(dist, tmp_path):
    again = tmp_path / "again"
    subprocess.run([sys.executable, str(ROOT / "build_app.py"), "--out", str(again)],
                   check=True, capture_output=True, timeout=60)
    assert (again / "classchat.pyz").read_bytes() == (dist / "classchat.pyz").read_bytes()
    # ... and the server's in-memory build is that very function.
    assert app_bundle.build() == (dist / "classchat.pyz").read_bytes()


def test_the_archive_holds_the_sources_and_nothing_else(pyz):
    with zipfile.ZipFile(pyz) as archive:
        entries = archive.infolist()
        names = [entry.filename for entry in entries]
        assert names == sorted(names)
        assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
        for name in ("__main__.py", "run_server.py", "run_client.py", "server/loop.py",
                     "protocol/events.py", "desktop_client/app.py", "desktop_client/icon.png",
                     "desktop_client/icon.ico", "desktop_client/locale/ru.json",
                     "web_client/index.html"):
            assert name in names
        assert archive.read("__main__.py") == (ROOT / "app_main.py").read_bytes()
        assert archive.read("server/loop.py") == (ROOT / "server/loop.py").read_bytes()
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "dist/"))]


def test_a_download_fits_well_under_the_output_cap(pyz):
    # The server queues a download whole on its connection (it drains as the socket
    # takes it); it must stay far below what gets a client dropped.
    size = pyz.stat().st_size
    assert size < Settings().max_output / 3, (
        f"the app is {size} bytes: stream it in chunks before it nears --max-output")


def test_the_icon_files_are_what_tools_make_icon_draws():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_icon.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_a_stale_dist_file_is_never_handed_out(tmp_path, monkeypatch):
    import shutil
    for name in (*app_bundle.PACKAGES, ):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in (*app_bundle.TOP_FILES, app_bundle.ENTRY):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "dist").mkdir()
    built = tmp_path / "dist" / "classchat.pyz"
    built.write_bytes(app_bundle.build(tmp_path))
    app, source = app_bundle.app_for_download(tmp_path)
    assert source == str(built) and app == built.read_bytes()

    changed = tmp_path / "server" / "chat.py"
    changed.write_text("# changed after the build\n")
    later = built.stat().st_mtime + 10     # whatever the file system's clock granularity
    os.utime(changed, (later, later))
    app, source = app_bundle.app_for_download(tmp_path)
    assert source == "built from the sources at start"
    assert app == app_bundle.build(tmp_path) != built.read_bytes()
