"""`--install-launcher` / `--uninstall-launcher`: ClassChat in the menu and on the desktop.

Linux (and other freedesktop systems): a `.desktop` entry in the applications menu, with
the icon, and a copy on the desktop when there is a desktop folder. macOS: a
`ClassChat.command` on the desktop (a double-click runs it in Terminal). Windows: a
shortcut (.lnk) on the desktop and in the Start menu, made by PowerShell's WScript.Shell
(the standard library cannot write one), running pythonw so no console opens.

The entry runs this very Python on this very file (the one-file app, or run_client.py),
so it is made after the file is where it will stay; moved, it is installed again.
Paths and file contents are made by plain functions, tested on any system.
"""

import os
import pkgutil
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PureWindowsPath

APP_ID = "classchat"
NAME = "ClassChat"
COMMENT = "Chat with your class on the school network"
WM_CLASS = "ClassChat"      # tkinter.Tk(className=...): the menu entry owns the window


def program() -> Path:
    """The file a launcher opens: the one-file app we run from, else run_client.py."""
    archive = getattr(__loader__, "archive", None)   # set by zipimport only
    if archive:
        return Path(archive).resolve()
    return Path(__file__).resolve().parent.parent / "run_client.py"


def python_for_window(platform: str = sys.platform, executable: str = sys.executable) -> str:
    """The Python a launcher runs: on Windows pythonw.exe, which opens no console."""
    if platform.startswith("win"):
        windowed = Path(executable).with_name("pythonw.exe")
        if windowed.exists():
            return str(windowed)
    return executable


def command(platform: str = sys.platform) -> list[str]:
    return [python_for_window(platform), str(program())]


def icon_bytes(suffix: str = "png") -> bytes:
    # pkgutil reads it from the folder or from inside the one-file app alike.
    return pkgutil.get_data("desktop_client", f"icon.{suffix}")


# ---- Linux: freedesktop .desktop files -----------------------------------------------

_EXEC_SPECIAL = '"`$\\'


def exec_line(args: list[str]) -> str:
    """The value of `Exec=` for `args`: each argument double-quoted, with `"`, `` ` ``,
    `$` and `\\` escaped (Desktop Entry spec, "The Exec key"), `%` doubled (it starts a
    field code), then backslashes doubled again for the key file's string escapes."""
    quoted = []
    for arg in args:
        if any(c in arg for c in "\n\r\t"):
            raise ValueError(f"a launcher cannot run a path with a control character: {arg!r}")
        inner = "".join("\\" + c if c in _EXEC_SPECIAL else c for c in arg)
        quoted.append('"' + inner.replace("%", "%%") + '"')
    return " ".join(quoted).replace("\\", "\\\\")


def desktop_entry(args: list[str], icon: Path) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",      # the newest desktop-file-validate 0.26 knows
        f"Name={NAME}",
        "GenericName=Classroom chat",
        f"Comment={COMMENT}",
        f"Exec={exec_line(args)}",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Network;Chat;InstantMessaging;",
        "Keywords=chat;class;school;lesson;",
        f"StartupWMClass={WM_CLASS}",
        "",
    ])


def linux_paths(env=os.environ, home: Path | None = None) -> dict:
    home = home or Path.home()
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    paths = {"menu": data / "applications" / f"{APP_ID}.desktop",
             "icon": data / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png"}
    desktop = desktop_folder(env, home)
    if desktop is not None:
        paths["desktop"] = desktop / f"{APP_ID}.desktop"
    return paths


def desktop_folder(env=os.environ, home: Path | None = None) -> Path | None:
    """The user's desktop folder (XDG user dirs, as `xdg-user-dir DESKTOP`), if it exists."""
    home = home or Path.home()
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    folder = home / "Desktop"
    try:
        for line in (config / "user-dirs.dirs").read_text(encoding="utf-8").splitlines():
            if line.startswith("XDG_DESKTOP_DIR="):
                value = line.partition("=")[2].strip().strip('"')
                folder = Path(value.replace("$HOME", str(home)))
    except OSError:
        pass
    return folder if folder.is_dir() and folder != home else None


def install_linux(args: list[str], env=os.environ, home: Path | None = None) -> list[Path]:
    paths = linux_paths(env, home)
    paths["icon"].parent.mkdir(parents=True, exist_ok=True)
    paths["icon"].write_bytes(icon_bytes("png"))
    entry = desktop_entry(args, paths["icon"])
    made = [paths["icon"]]
    for where in ("menu", "desktop"):
        if where in paths:
            paths[where].parent.mkdir(parents=True, exist_ok=True)
            paths[where].write_text(entry, encoding="utf-8")
            paths[where].chmod(0o755)   # a desktop launches only executable entries
            made.append(paths[where])
    if "desktop" in paths and shutil.which("gio"):
        # GNOME also wants the desktop copy marked trusted, or it asks first.
        subprocess.run(["gio", "set", str(paths["desktop"]), "metadata::trusted", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return made


def uninstall_linux(env=os.environ, home: Path | None = None) -> list[Path]:
    return _remove(linux_paths(env, home).values())


# ---- macOS: a .command on the desktop ------------------------------------------------

def command_script(args: list[str]) -> str:
    return ("#!/bin/sh\n"
            "# ClassChat: made by --install-launcher. A double-click opens the chat.\n"
            f'exec {shlex.join(args)} "$@"\n')


def mac_path(home: Path | None = None) -> Path:
    return (home or Path.home()) / "Desktop" / f"{NAME}.command"


def install_mac(args: list[str], home: Path | None = None) -> list[Path]:
    path = mac_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(command_script(args), encoding="utf-8")
    path.chmod(0o755)
    return [path]


# ---- Windows: shortcuts made by PowerShell -------------------------------------------

def _ps(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"     # a PowerShell literal string


def windows_icon_path(env=os.environ) -> PureWindowsPath:
    # A PureWindowsPath so that the script is the same when tested on another system.
    base = env.get("LOCALAPPDATA") or env.get("APPDATA") or str(Path.home())
    return PureWindowsPath(base, NAME, f"{APP_ID}.ico")


_FOLDERS = ("[Environment]::GetFolderPath('Desktop')", "[Environment]::GetFolderPath('Programs')")


def shortcut_script(args: list[str], icon: PureWindowsPath) -> str:
    target, *rest = args
    arguments = subprocess.list2cmdline(rest)
    return "\n".join([
        "$shell = New-Object -ComObject WScript.Shell",
        f"foreach ($folder in @({', '.join(_FOLDERS)})) {{",
        f"  $link = $shell.CreateShortcut((Join-Path $folder {_ps(NAME + '.lnk')}))",
        f"  $link.TargetPath = {_ps(target)}",
        f"  $link.Arguments = {_ps(arguments)}",
        f"  $link.WorkingDirectory = {_ps(str(PureWindowsPath(rest[0]).parent) if rest else '')}",
        f"  $link.IconLocation = {_ps(str(icon) + ',0')}",
        f"  $link.Description = {_ps(COMMENT)}",
        "  $link.Save()",
        "  Write-Output (Join-Path $folder " + _ps(NAME + ".lnk") + ")",
        "}",
    ])


def unshortcut_script() -> str:
    return "\n".join([
        f"foreach ($folder in @({', '.join(_FOLDERS)})) {{",
        f"  $path = Join-Path $folder {_ps(NAME + '.lnk')}",
        "  if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path; Write-Output $path }",
        "}",
    ])


def _powershell(script: str) -> list[Path]:
    result = subprocess.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise OSError(f"PowerShell could not make the shortcut: {result.stderr.strip()}")
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]


def install_windows(args: list[str], env=os.environ) -> list[Path]:
    icon = windows_icon_path(env)
    Path(icon).parent.mkdir(parents=True, exist_ok=True)
    Path(icon).write_bytes(icon_bytes("ico"))
    return [Path(icon), *_powershell(shortcut_script(args, icon))]


def uninstall_windows(env=os.environ) -> list[Path]:
    return _powershell(unshortcut_script()) + _remove([Path(windows_icon_path(env))])


# ---- the two options -----------------------------------------------------------------

def _remove(paths) -> list[Path]:
    removed = []
    for path in paths:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


def install(platform: str = sys.platform) -> list[Path]:
    args = command(platform)
    if platform.startswith("win"):
        return install_windows(args)
    if platform == "darwin":
        return install_mac(args)
    return install_linux(args)


def uninstall(platform: str = sys.platform) -> list[Path]:
    if platform.startswith("win"):
        return uninstall_windows()
    if platform == "darwin":
        return _remove([mac_path()])
    return uninstall_linux()


def main(action: str) -> int:
    """run_client.py --install-launcher / --uninstall-launcher."""
    try:
        if action == "install":
            made = install()
            print(f"Added {NAME} (it runs: {shlex.join(command())}):")
            for path in made:
                print(f"    {path}")
            print("If you move that file, run --install-launcher again from its new place.")
        else:
            removed = uninstall()
            print(f"Removed {len(removed)} file{'' if len(removed) == 1 else 's'}"
                  + ("".join(f"\n    {path}" for path in removed) if removed else
                     " (no launcher was installed)"))
    except OSError as error:
        print(f"Could not {action} the launcher: {error}", file=sys.stderr)
        return 1
    return 0
