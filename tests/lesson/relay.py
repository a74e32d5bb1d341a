"""A relay on 127.0.0.1 that can make a link die silently.

Students connect to the relay, the relay connects to the server and copies bytes both
ways. `freeze()` stops copying on every link open at that moment without closing
anything: the sockets stay open, nobody reads them, so to both ends the link looks like
a cable pulled out of a switch (no FIN, no RST, bytes just stop). New connections made
after the freeze pass as usual (a student coming back over a new link); `thaw()` lets
the frozen links flow again.
"""

import selectors
import socket
import struct
import threading

# Linux tcp_states.h: the server closed its end (FIN received) or reset it.
TCP_CLOSE_WAIT = 8
TCP_CLOSE = 7
_BUFFER_LIMIT = 256 * 1024   # bytes held for one direction before reading pauses


class Link:
    """One student's connection through the relay: the client side and the server side."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.frozen = False
        self.closed = False
        # pending[sock] = bytes read elsewhere, waiting to be written to sock
        self.pending = {client: b"", upstream: b""}
        self.ended = {client: False, upstream: False}   # that side sent its FIN

    def other(self, sock: socket.socket) -> socket.socket:
        return self.upstream if sock is self.client else self.client

    def upstream_closed_by_server(self) -> bool:
        """True once the server has closed or reset its end, read or not. The relay
        never reads a frozen link, so this asks the kernel for the TCP state instead."""
        try:
            info = self.upstream.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        except OSError:
            return True
        state = struct.unpack("B", info[:1])[0]
        return state in (TCP_CLOSE_WAIT, TCP_CLOSE)


class Relay:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1",
                 source_host: str | None = None):
        self.target = (target_host, target_port)
        self.source = (source_host, 0) if source_host else None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.links: list[Link] = []
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.listener, selectors.EVENT_READ, None)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self._thread.start()

    # ---- what the tests call ---------------------------------------------------------

    def freeze(self) -> list[Link]:
        """Stop copying on every open link; returns them. Once this returns, not one
        more byte goes through them either way."""
        with self._lock:
            frozen = [link for link in self.links if not link.closed]
            for link in frozen:
                link.frozen = True
            self._sync()
        return frozen

    def thaw(self) -> None:
        with self._lock:
            for link in self.links:
                link.frozen = False
            self._sync()

    def close(self) -> None:
        with self._lock:
            self._stopping = True
        self._thread.join(5)
        for link in self.links:
            self._close_link(link)
        self.listener.close()
        self._selector.close()

    # ---- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
            ready = self._selector.select(timeout=0.05)
            with self._lock:
                if self._stopping:
                    return
                for key, mask in ready:
                    if key.data is None:
                        self._accept()
                        continue
                    link = key.data
                    if link.frozen or link.closed:
                        continue   # frozen after select() saw it: leave it untouched
                    if mask & selectors.EVENT_READ:
                        self._read(link, key.fileobj)
                    if mask & selectors.EVENT_WRITE and not link.closed:
                        self._write(link, key.fileobj)
                self._sync()

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except BlockingIOError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5,
                                                source_address=self.source)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = Link(client, upstream)
        self.links.append(link)
        for sock in (client, upstream):
            self._selector.register(sock, selectors.EVENT_READ, link)

    def _read(self, link: Link, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self._close_link(link)
            return
        target = link.other(sock)
        if not data:
            link.ended[sock] = True
            if not link.pending[target]:
                self._shutdown_write(target)
            if all(link.ended.values()):
                self._close_link(link)
            return
        link.pending[target] += data
        self._write(link, target)

    def _write(self, link: Link, sock: socket.socket) -> None:
        data = link.pending[sock]
        if data:
            try:
                sent = sock.send(data)
            except BlockingIOError:
                return
            except OSError:
                self._close_link(link)
                return
            link.pending[sock] = data[sent:]
        if not link.pending[sock] and link.ended[link.other(sock)]:
            self._shutdown_write(sock)

    @staticmethod
    def _shutdown_write(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _close_link(self, link: Link) -> None:
        if link.closed:
            return
        link.closed = True
        for sock in (link.client, link.upstream):
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()

    def _sync(self) -> None:
        """Register each socket for what its link may do now: nothing while frozen."""
        for link in self.links:
            if link.closed:
                continue
            for sock in (link.client, link.upstream):
                events = 0
                if not link.frozen:
                    target = link.other(sock)   # where what sock sends is copied to
                    if not link.ended[sock] and len(link.pending[target]) < _BUFFER_LIMIT:
                        events |= selectors.EVENT_READ
                    if link.pending[sock]:
                        events |= selectors.EVENT_WRITE
                self._set_interest(sock, events, link)

    def _set_interest(self, sock, events, link) -> None:
        try:
            current = self._selector.get_key(sock).events
        except KeyError:
            current = 0
        if current == events:
            return
        if not events:
            self._selector.unregister(sock)
        elif not current:
            self._selector.register(sock, events, link)
        else:
            self._selector.modify(sock, events, link)
