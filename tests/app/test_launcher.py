"""--install-launcher / --uninstall-launcher: a valid .desktop entry whose Exec line runs
the app, a .command for macOS, a shortcut script for Windows."""

import shutil
import subprocess
import sys

import pytest

from desktop_client import launcher
from tests.app.conftest import app_env
from tests.support import Peer, run_server

VALIDATOR_MISSING = ("desktop-file-validate is not installed (Debian: desktop-file-utils); "
                     "`python run_tests.py` installs it. This test is never skipped.")


def parse_exec(value: str) -> list[str]:
    """The Exec key as a launcher reads it (Desktop Entry spec): the key file's string
    escapes first; then arguments split on spaces, double quotes group, and inside them
    a backslash takes the next of " ` $ \\ literally; %% is %."""
    unescaped, chars = [], iter(value)
    for c in chars:
        if c == "\\":
            c = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[next(chars)]
        unescaped.append(c)
    args, current, quoted, chars = [], None, False, iter("".join(unescaped))
    for c in chars:
        if quoted:
            if c == '"':
                quoted = False
            elif c == "\\":
                following = next(chars)
                assert following in '"`$\\', f"{following!r} must not be escaped"
                current += following
            else:
                assert c not in "`$", f"{c!r} must be escaped inside quotes"
                current += c
        elif c == " ":
            if current is not None:
                args.append(current)
            current = None
        elif c == '"':
            quoted, current = True, current or ""
        else:
            current = (current or "") + c
    assert not quoted, "an unclosed quote"
    if current is not None:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def entry_fields(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.mark.parametrize("path", [
    "/home/ana/classchat.pyz",
    "/home/ana/My Apps/class chat 100%.pyz",
    '/tmp/"quoted" $HOME `tick` back\\slash.pyz',
    "/home/zoë/Рабочий стол/classchat.pyz",
])
def test_the_exec_line_gives_back_the_very_arguments(path):
    args = ["/usr/bin/python3", path]
    assert parse_exec(launcher.exec_line(args)) == args


def test_installed_entries_validate_and_their_exec_line_runs_the_app(pyz, tmp_path, display):
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.fail(VALIDATOR_MISSING, pytrace=False)
    home = tmp_path / "home with space"
    (home / "Desktop").mkdir(parents=True)
    env = app_env(tmp_path, HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"),
                  XDG_CONFIG_HOME=str(home / ".config"))
    installed = subprocess.run([sys.executable, str(pyz), "--install-launcher"], env=env,
                               capture_output=True, text=True, timeout=30)
    assert installed.returncode == 0, installed.stderr
    menu = home / ".local/share/applications/classchat.desktop"
    icon = home / ".local/share/icons/hicolor/256x256/apps/classchat.png"
    on_desktop = home / "Desktop/classchat.desktop"
    for entry in (menu, on_desktop):
        result = subprocess.run([validator, str(entry)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    assert icon.read_bytes() == launcher.icon_bytes("png")
    fields = entry_fields(menu.read_text("utf-8"))
    assert fields["Icon"] == str(icon) and fields["StartupWMClass"] == "ClassChat"
    args = parse_exec(fields["Exec"])
    assert args == [sys.executable, str(pyz)]

    with run_server() as srv, Peer(srv.port) as peer:     # run what a click runs
        peer.login("watcher")
        click = subprocess.Popen(args + ["--host", "127.0.0.1", "--port", str(srv.port),
                                         "--nick", "clicked"],
                                 env={**env, "DISPLAY": display}, stderr=subprocess.PIPE)
        try:
            assert peer.expect("joined", timeout=20)["nick"] == "clicked"
        finally:
            click.terminate()
            _, err = click.communicate(timeout=10)
        assert click.returncode == 0 and b"Traceback" not in err, err

    removed = subprocess.run([sys.executable, str(pyz), "--uninstall-launcher"], env=env,
                             capture_output=True, text=True, timeout=30)
    assert removed.returncode == 0, removed.stderr
    assert not menu.exists() and not icon.exists() and not on_desktop.exists()
    assert "Removed 3 files" in removed.stdout


def test_run_client_installs_a_launcher_for_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    made = launcher.install_linux(launcher.command("linux"), home=tmp_path)
    assert [p.name for p in made] == ["classchat.png", "classchat.desktop"]   # no Desktop
    fields = entry_fields(made[1].read_text("utf-8"))
    assert parse_exec(fields["Exec"])[1].endswith("run_client.py")
    assert set(launcher.uninstall_linux(home=tmp_path)) == set(made)
    assert launcher.uninstall_linux(home=tmp_path) == []      # twice: nothing left to do


def test_the_mac_command_file_runs_the_app(pyz, tmp_path):
    home = tmp_path / "mac home"
    [command] = launcher.install_mac([sys.executable, str(pyz)], home=home)
    assert command == home / "Desktop" / "ClassChat.command"
    assert command.stat().st_mode & 0o111
    result = subprocess.run(["sh", str(command), "--help"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0 and "--nick" in result.stdout


def test_the_windows_shortcut_script_quotes_every_path(tmp_path):
    args = [r"C:\Users\O'Brien\Python311\pythonw.exe", r"C:\Users\O'Brien\My Apps\classchat.pyz"]
    script = launcher.shortcut_script(args, launcher.windows_icon_path(
        {"LOCALAPPDATA": r"C:\Users\O'Brien\AppData\Local"}))
    assert r"$link.TargetPath = 'C:\Users\O''Brien\Python311\pythonw.exe'" in script
    assert r"""$link.Arguments = '"C:\Users\O''Brien\My Apps\classchat.pyz"'""" in script
    assert "$link.WorkingDirectory = 'C:\\Users\\O''Brien\\My Apps'" in script
    assert r"$link.IconLocation = 'C:\Users\O''Brien\AppData\Local\ClassChat\classchat.ico,0'" \
        in script
    assert "GetFolderPath('Desktop')" in script and "GetFolderPath('Programs')" in script
    assert "ClassChat.lnk" in launcher.unshortcut_script()


def test_windows_runs_pythonw_so_no_console_opens(tmp_path):
    python = tmp_path / "python.exe"
    (tmp_path / "pythonw.exe").write_bytes(b"")
    assert launcher.python_for_window("win32", str(python)) == str(tmp_path / "pythonw.exe")
    assert launcher.python_for_window("linux", str(python)) == str(python)
