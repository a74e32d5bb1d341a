#!/usr/bin/env python3
"""Install what the tests need, then run them all: `python run_tests.py [pytest args]`.

Installs the test-only Python packages (requirements-test.txt) into this Python and,
on Linux, the Debian packages the tests use (the Xvfb virtual screen the GUI tests open
their windows on, Unicode's data files, headless Chromium and its driver for the browser
client's tests).
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(command: list[str]) -> None:
    result = subprocess.run(command)
    if result.returncode != 0:
        sys.exit(f"run_tests: `{' '.join(command)}` failed with status {result.returncode}; "
                 "see its output above.")


def install_python_packages() -> None:
    step("installing the test packages (requirements-test.txt)")
    run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(ROOT / "requirements-test.txt")])


# Debian packages the tests use: the virtual screen for the GUI tests, Unicode's data
# files the look-alike table is checked against (tools/make_confusables.py --check), and
# the headless browser the web client is tested in (tests/web_client), with colour emoji.
DEBIAN_PACKAGES = {"xvfb": lambda: shutil.which("Xvfb"),
                   "unicode-data": lambda: Path("/usr/share/unicode/Scripts.txt").exists(),
                   "chromium": lambda: Path("/usr/bin/chromium").exists(),
                   "chromium-driver": lambda: Path("/usr/bin/chromedriver").exists(),
                   "fonts-noto-color-emoji": lambda: Path(
                       "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf").exists(),
                   # real IRC clients for tests/irc_clients (WeeChat's FIFO is a plugin)
                   "irssi": lambda: shutil.which("irssi"),
                   "weechat-headless": lambda: shutil.which("weechat-headless"),
                   "weechat-plugins": lambda: any(
                       Path("/usr/lib").glob("*/weechat/plugins/fifo.so")),
                   "tmux": lambda: shutil.which("tmux"),
                   # the one-file app (tests/app): its .desktop launcher validated, and
                   # real key presses into its window
                   "desktop-file-utils": lambda: shutil.which("desktop-file-validate"),
                   "xdotool": lambda: shutil.which("xdotool")}


def install_debian_packages() -> None:
    missing = [name for name, present in DEBIAN_PACKAGES.items() if not present()]
    if not missing or not sys.platform.startswith("linux"):
        return
    if not shutil.which("apt-get"):
        sys.exit(f"run_tests: the tests need {', '.join(missing)}; install them with your "
                 "package manager (the GUI tests need Xvfb) and run again.")
    sudo = [] if _is_root() else ["sudo"]
    step(f"installing {', '.join(missing)} for the tests (apt-get)")
    run(sudo + ["apt-get", "update", "-qq"])
    run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing])


def _is_root() -> bool:
    import os
    return hasattr(os, "geteuid") and os.geteuid() == 0


def main() -> int:
    install_python_packages()
    install_debian_packages()
    step("running the tests")
    args = sys.argv[1:] or ["tests"]
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
