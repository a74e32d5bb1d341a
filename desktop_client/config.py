"""Remember the last connection settings in a small JSON file in the user's config folder."""

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from protocol import PORT

ENV_DIR = "CLASSCHAT_CONFIG_DIR"   # tests (and portable set-ups) point this elsewhere
FILE_NAME = "client.json"


@dataclass
class Settings:
    host: str = "localhost"
    port: int = PORT
    nick: str = ""
    lang: str = ""     # en, ru, pt; empty: the system's language
    # The admin password is never written to disk.


def config_dir() -> Path:
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override)
    if sys.platform.startswith("win"):
        base = os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming"
        return Path(base) / "classchat"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "classchat"
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "classchat"


def config_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Settings:
    """The saved settings, or the defaults when the file is missing or unreadable."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    settings = Settings()
    if isinstance(data.get("host"), str) and data["host"].strip():
        settings.host = data["host"].strip()
    if isinstance(data.get("port"), int) and 0 < data["port"] < 65536:
        settings.port = data["port"]
    if isinstance(data.get("nick"), str):
        settings.nick = data["nick"]
    if isinstance(data.get("lang"), str):
        settings.lang = data["lang"]
    return settings


def save(settings: Settings) -> bool:
    """Write the settings; a read-only home must not stop anyone chatting, so never raise."""
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(settings), ensure_ascii=False, indent=1),
                       encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError:
        return False
