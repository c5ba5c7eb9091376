"""A forward proxy for HTTPS (`CONNECT host:443`) that tunnels every connection to one local server.

With `HTTPS_PROXY` pointing here and the local server holding a certificate for the real host name (from a test
CA in `SSL_CERT_FILE`), a connector's unchanged `https://kb.example.com/...` URL reaches the local server: the
client still checks the certificate against the host name, as it would on the internet.
"""

from __future__ import annotations

import selectors
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class TunnelProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.connects: list[str] = []
        """The `host:port` of every CONNECT, as the client asked."""
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TunnelProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_CONNECT(self) -> None:
                proxy.connects.append(self.path)
                upstream = socket.create_connection(("127.0.0.1", proxy.upstream_port), timeout=10)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                _pipe(self.connection, upstream)

        return Handler


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    with upstream, selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        while True:
            for key, _events in selector.select(timeout=10):
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                data = source.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
