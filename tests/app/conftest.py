"""The one-file app as a user gets it: `python build_app.py` run for real into a private
folder, once per session, and the file started as a separate process."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.desktop_client.conftest import display  # noqa: F401  (the Xvfb screen)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The folder `python build_app.py --out …` wrote classchat.pyz and ClassChat.pyzw to."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, str(ROOT / "build_app.py"), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def pyz(dist) -> Path:
    return dist / "classchat.pyz"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(tmp_path: Path, **more) -> dict:
    """A child's environment: its own data and config folders, never the real ones."""
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
            "CLASSCHAT_CONFIG_DIR": str(tmp_path / "config"), **more}
