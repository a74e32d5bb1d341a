#!/usr/bin/env python3
"""Install what the tests need, then run them all: `python run_tests.py [pytest args]`.

Installs the test-only Python packages (requirements-test.txt) into this Python and,
on Linux, the Xvfb virtual screen the GUI tests open their windows on.
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


def install_xvfb() -> None:
    if shutil.which("Xvfb") or not sys.platform.startswith("linux"):
        return
    if not shutil.which("apt-get"):
        sys.exit("run_tests: the GUI tests need Xvfb; install it with your package manager "
                 "(the package is usually called xvfb) and run again.")
    sudo = [] if _is_root() else ["sudo"]
    step("installing Xvfb for the GUI tests (apt-get)")
    run(sudo + ["apt-get", "update", "-qq"])
    run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "xvfb"])


def _is_root() -> bool:
    import os
    return hasattr(os, "geteuid") and os.geteuid() == 0


def main() -> int:
    install_python_packages()
    install_xvfb()
    step("running the tests")
    args = sys.argv[1:] or ["tests"]
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
