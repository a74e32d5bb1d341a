"""Fixtures of the lesson suite: server processes, relays and students that are
always cleaned up, and the desktop tests' own Xvfb screen."""

import pytest

# The desktop client tests' private Xvfb screen (never skipped: it fails loudly if Xvfb
# is missing), shared rather than copied.
from tests.desktop_client.conftest import display, root  # noqa: F401
from tests.lesson.harness import ServerProcess, Student, TextStudent
from tests.lesson.relay import Relay


@pytest.fixture
def servers(tmp_path):
    """servers(*args, data_dir=..., password=...) -> a started ServerProcess; killed
    at the end of the test if still running."""
    made = []

    def start(*args, data_dir="lesson", **kwargs):
        folder = (tmp_path / data_dir) if data_dir else None
        server = ServerProcess(folder, *args, **kwargs)
        made.append(server)
        return server.start()

    yield start
    for server in made:
        server.close()


@pytest.fixture
def relays():
    made = []

    def start(port, **kwargs):
        relay = Relay(port, **kwargs)
        made.append(relay)
        return relay

    yield start
    for relay in made:
        relay.close()


@pytest.fixture
def people():
    """people.student(...) / people.text(...): clients closed at the end of the test."""
    class People:
        def __init__(self):
            self.made = []

        def student(self, *args, **kwargs) -> Student:
            client = Student(*args, **kwargs)
            self.made.append(client)
            return client

        def text(self, *args, **kwargs) -> TextStudent:
            client = TextStudent(*args, **kwargs)
            self.made.append(client)
            return client

    crowd = People()
    yield crowd
    for client in crowd.made:
        client.close()


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """The desktop client's settings folder for this test (never ~/.config)."""
    from desktop_client import config
    folder = tmp_path / "config"
    monkeypatch.setenv(config.ENV_DIR, str(folder))
    return folder
