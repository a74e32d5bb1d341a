"""Every test, and every server process a test starts, keeps its lesson in a throwaway
folder, never in the real data folder of the person running the tests.

Each test gets a folder of its own: a lesson kept by one test (a ban on 127.0.0.1, a
kept password) must not leak into the next. Servers started outside a test (a module's
fixture) share one folder for the session."""

import atexit
import os
import shutil
import tempfile

import pytest

_DATA_HOME = tempfile.mkdtemp(prefix="classchat-tests-")
os.environ["XDG_DATA_HOME"] = _DATA_HOME        # Linux and other Unix
os.environ["APPDATA"] = _DATA_HOME              # Windows
atexit.register(shutil.rmtree, _DATA_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _data_home_of_its_own(tmp_path_factory, monkeypatch):
    home = str(tmp_path_factory.mktemp("data-home"))
    monkeypatch.setenv("XDG_DATA_HOME", home)
    monkeypatch.setenv("APPDATA", home)
