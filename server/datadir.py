"""Where the server keeps the lesson: the platform's folder for application data."""

import os
import sys
from pathlib import Path

APP = "classchat"
DATABASE = "chat.sqlite3"


def default_data_dir() -> Path:
    """Linux (and other Unix): $XDG_DATA_HOME/classchat, else ~/.local/share/classchat;
    Windows: %APPDATA%\\classchat; macOS: ~/Library/Application Support/classchat."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP


def make_data_dir(path: Path) -> Path:
    """Create the folder if needed, readable by its owner only (it holds the admin
    password and private messages). Raises OSError when it cannot be made or written."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", str(path))
    return path


def database_path(data_dir: Path) -> Path:
    return data_dir / DATABASE
