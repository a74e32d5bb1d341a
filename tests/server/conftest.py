import pytest

from tests.support import Peer, run_server


@pytest.fixture
def server():
    with run_server() as running:
        yield running


@pytest.fixture
def connect(server):
    """connect() -> a new Peer on the test's server; all are closed afterwards."""
    peers = []

    def make() -> Peer:
        peer = Peer(server.port)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
def login(connect):
    """login(nick, password=None) -> a logged-in Peer."""
    def make(nick: str, password: str | None = None) -> Peer:
        peer = connect()
        peer.login(nick, password)
        return peer
    return make
