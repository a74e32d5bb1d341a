"""A friendly start: an old Python is told the version ClassChat needs, a Python without
Tk is told what to install on this very system, never a traceback."""

import glob
import os
import shutil
import subprocess
import sys

import pytest

from desktop_client import preflight

DEBIAN = {"ID": "debian"}
UBUNTU = {"ID": "ubuntu", "ID_LIKE": "debian"}
FEDORA = {"ID": "fedora"}
MINT = {"ID": "linuxmint", "ID_LIKE": "ubuntu debian"}


@pytest.mark.parametrize("os_release, command", [
    (DEBIAN, "sudo apt install python3-tk"), (UBUNTU, "sudo apt install python3-tk"),
    (MINT, "sudo apt install python3-tk"), (FEDORA, "sudo dnf install python3-tkinter"),
    ({"ID": "arch"}, "sudo pacman -S tk"),
])
def test_a_linux_system_python_is_told_its_package(os_release, command):
    advice = preflight.tk_advice("linux", os_release, "/usr/bin/python3", "/usr", (3, 11))
    assert advice.endswith(f"Install it with: {command}")


def test_a_python_built_without_tk_is_told_to_rebuild_or_use_the_systems():
    advice = preflight.tk_advice("linux", DEBIAN, "/home/ana/.pyenv/versions/3.12.1/bin/python",
                                 "/home/ana/.pyenv/versions/3.12.1", (3, 12))
    assert "tk-dev" in advice and "/usr/bin/python3" in advice and "python3-tk" in advice


def test_macos_homebrew_and_windows_get_their_own_advice():
    brew = preflight.tk_advice("darwin", {}, "/opt/homebrew/bin/python3.12",
                               "/opt/homebrew/Cellar/python@3.12/3.12.1", (3, 12))
    assert brew.endswith("brew install python-tk@3.12")
    framework = preflight.tk_advice("darwin", {}, "/usr/local/bin/python3",
                                    "/Library/Frameworks/Python.framework/Versions/3.11",
                                    (3, 11))
    assert "python.org" in framework
    windows = preflight.tk_advice("win32", {}, r"C:\Python311\python.exe", r"C:\Python311",
                                  (3, 11))
    assert "Modify" in windows and '"tcl/tk and IDLE"' in windows


def test_the_version_needed_is_named():
    assert preflight.python_problem((3, 11, 7)) is None
    message = preflight.python_problem((3, 8, 10), "/usr/bin/python3", "classchat.pyz")
    assert message.startswith("ClassChat needs Python 3.11 or newer; this is Python 3.8.10")
    assert message.endswith("python3.11 classchat.pyz")


def run_app(pyz, prelude: str):
    """The app started as `python classchat.pyz` after `prelude` changed this Python."""
    code = (f"import runpy, sys; {prelude}; sys.argv = [{str(pyz)!r}]; "
            f"runpy.run_path({str(pyz)!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "DISPLAY": ""})


def test_the_app_without_tk_says_what_to_install(pyz):
    result = run_app(pyz, "sys.modules['tkinter'] = None")     # import tkinter fails
    assert result.returncode == 1
    assert result.stderr.startswith("ClassChat's window needs Tk")
    assert preflight.tk_advice().splitlines()[-1] in result.stderr
    assert "Traceback" not in result.stderr


def test_the_app_on_an_old_python_says_which_version(pyz):
    result = run_app(pyz, "sys.version_info = (3, 9, 2, 'final', 0)")
    assert result.returncode == 1
    assert result.stderr.startswith("ClassChat needs Python 3.11 or newer; this is "
                                    "Python 3.9.2")


def old_pythons() -> list[str]:
    """Older interpreters on this machine, if any (python2.7 ... python3.10, pyenv's)."""
    found = {shutil.which(f"python{v}") for v in ("2.7", "3.6", "3.8", "3.9", "3.10")}
    found |= set(glob.glob(os.path.expanduser("~/.pyenv/versions/[23].*/bin/python")))
    return sorted(path for path in found if path and "/shims/" not in path
                  and not any(f"/3.{n}." in path for n in range(11, 20)))


@pytest.mark.parametrize("python", old_pythons() or [None])
def test_a_really_old_python_reads_the_app_and_says_which_version(pyz, python):
    if python is None:
        pytest.skip("no Python older than 3.11 on this machine (the syntax is checked "
                    "by the test above only)")
    result = subprocess.run([python, str(pyz)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "ClassChat needs Python 3.11 or newer" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "SyntaxError" not in result.stderr
