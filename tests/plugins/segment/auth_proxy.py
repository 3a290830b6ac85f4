"""A loopback reverse proxy that plays a secured cluster in front of osmem-server (which has no
security): every request must carry the expected `Authorization` header, else 401 like
Elasticsearch's security layer; authorized requests are forwarded unchanged. It records what
each request sent, so tests can check the credentials reached the server on every call."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class AuthProxy:
    url: str
    expected: str
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, auth
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authorizations(self) -> set[str | None]:
        with self.lock:
            return {auth for _, _, auth in self.seen}


@contextmanager
def auth_proxy(upstream: str, expected: str) -> Iterator[AuthProxy]:
    target = urlsplit(upstream)
    state = AuthProxy(url="", expected=expected)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real cluster

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            auth = self.headers.get("Authorization")
            with state.lock:
                state.seen.append((self.command, self.path, auth))
            if auth != state.expected:
                error = {
                    "error": {"type": "security_exception", "reason": "unable to authenticate"},
                    "status": 401,
                }
                return self._reply(
                    401,
                    [
                        ("Content-Type", "application/json"),
                        ("WWW-Authenticate", 'ApiKey, Basic realm="security"'),
                        ("X-Elastic-Product", "Elasticsearch"),
                    ],
                    json.dumps(error).encode(),
                )
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                self._reply(resp.status, resp.getheaders(), resp.read())
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
