"""`port_is_free` answers what the server would see: TIME_WAIT leftovers of a server's own
closed connections do not count as "taken", a live listener (any bind address) does."""

from __future__ import annotations

import socket
import time

from ducky.local_service import LOOPBACK, port_is_free


def _listener(host: str = LOOPBACK, port: int = 0, reuse: bool = True) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(4)
    return s


def _port_in_time_wait() -> int:
    """A port whose server closed a connection first (TIME_WAIT on the server's side), then
    stopped listening: what a restarted local server finds on its old port."""
    ls = _listener()
    port = int(ls.getsockname()[1])
    client = socket.create_connection((LOOPBACK, port))
    conn, _ = ls.accept()
    conn.close()  # the server side closes first: that side keeps the TIME_WAIT
    time.sleep(0.05)
    client.close()
    ls.close()
    return port


def test_time_wait_port_is_free() -> None:
    port = _port_in_time_wait()
    # the blind spot this guards against: a plain bind calls the port taken
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        try:
            plain.bind((LOOPBACK, port))
            plain_ok = True
        except OSError:
            plain_ok = False
    assert not plain_ok, "no TIME_WAIT was produced: the test proves nothing"
    assert port_is_free(port)
    # and a server binding as PostgreSQL/the JVM do really can listen there
    _listener(port=port).close()


def test_live_listeners_are_taken() -> None:
    for host, reuse in ((LOOPBACK, True), (LOOPBACK, False), ("0.0.0.0", True), ("0.0.0.0", False)):
        ls = _listener(host, reuse=reuse)
        try:
            assert not port_is_free(int(ls.getsockname()[1])), (host, reuse)
        finally:
            ls.close()


def test_closed_port_is_free() -> None:
    ls = _listener()
    port = int(ls.getsockname()[1])
    ls.close()
    assert port_is_free(port)
