"""Every test, and every server process a test starts, keeps its lesson in a throwaway
folder, never in the real data folder of the person running the tests."""

import atexit
import os
import shutil
import tempfile

_DATA_HOME = tempfile.mkdtemp(prefix="classchat-tests-")
os.environ["XDG_DATA_HOME"] = _DATA_HOME        # Linux and other Unix
os.environ["APPDATA"] = _DATA_HOME              # Windows
atexit.register(shutil.rmtree, _DATA_HOME, ignore_errors=True)
