"""A real HTTP/1.1 server on 127.0.0.1 for the rest_pull tests: routes are plain functions, every request is logged.

`ApiServer` runs the standard library's threading HTTP server (keep-alive, Content-Length, gzip when the client
accepts it) on a free port. A route takes the `Seen` request and returns a `Reply`; `paged_api` builds routes
that serve a list of records in each pagination style. `https=` wraps the socket in TLS (certificates from
trustme), and requests in absolute form (`GET http://host/...`) are answered too, so the server can stand in for
a forward proxy.
"""

from __future__ import annotations

import gzip
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    method: str
    target: str
    """The request target as sent: `/path?query`, or an absolute URL when sent to a proxy."""
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names; a header sent twice shows both values, comma-separated."""
    body: bytes
    client: tuple[str, int]
    """The client's address: one port per TCP connection, so reused connections show the same port."""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """bytes as they are, anything else as JSON."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (a slow API)."""

    def content(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode()


Route = Callable[[Seen], Reply]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that hung up, a failed handshake
        return


class ApiServer:
    """Use as a context manager; `routes` maps a path to its function (unknown paths answer 404)."""

    def __init__(self, *, gzip_responses: bool = True, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.gzip_responses = gzip_responses
        self.gzipped = 0
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer((host, 0), self._handler_class())
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def requests(self, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if path is None or seen.path == path]

    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            route = self.routes.get(seen.path)
            reply = route(seen) if route is not None else Reply(404, {"error": "not found"})
            if reply.delay:
                self._stopping.wait(reply.delay)
            return reply
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    method=self.command,
                    target=self.path,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): ", ".join(self.headers.get_all(k, [])) for k in self.headers},
                    body=body,
                    client=self.client_address[:2],
                )
                reply = server._answer(seen)
                content = reply.content()
                headers = {"Content-Type": "application/json", **reply.headers}
                accepts = "gzip" in seen.headers.get("accept-encoding", "")
                if server.gzip_responses and accepts and content and "Content-Encoding" not in headers:
                    content = gzip.compress(content, compresslevel=1)
                    headers["Content-Encoding"] = "gzip"
                    with server._lock:
                        server.gzipped += 1
                try:
                    self.send_response(reply.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    self.close_connection = True

            do_GET = do_POST = _serve

        return Handler


def records(
    count: int, *, start: int = 1, version: int = 0, changed: frozenset[int] = frozenset()
) -> list[dict[str, Any]]:
    """Articles with nested fields, an ACL array and typed metadata; `changed` ids get a new body and time."""
    out = []
    for i in range(start, start + count):
        bumped = i in changed
        out.append(
            {
                "id": f"a-{i}",
                "title": f"Article {i}",
                "body": f"Body of article {i}" + (f" v{version}" if bumped else ""),
                "author": {"name": f"Author {i % 7}", "email": f"author{i % 7}@example.com"},
                "groups": ["staff"] if i % 2 else ["staff", "managers"],
                "views": i * 10,
                "published": bool(i % 3),
                "updated_at": f"2024-01-{1 + (i % 28):02d}T00:00:00Z" if not bumped else "2024-03-01T00:00:00Z",
            }
        )
    return out


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class PagedApi:
    """Serves `items` at `path` in one pagination style; tests may change `items` between runs."""

    server: ApiServer
    path: str
    style: str
    items: list[dict[str, Any]]
    page_size: int = 10
    total_key: bool = True
    envelope: str = "items"
    """Where the records go in the body: "items" (the earlier tool's default), "" (the body is the array), or a
    dotted path such as data.results."""

    def __post_init__(self) -> None:
        self.server.routes[self.path] = self.route

    def _wrap(self, page: list[dict[str, Any]], extra: dict[str, Any]) -> Any:
        if self.envelope == "":
            return page
        body: dict[str, Any] = dict(extra)
        node = body
        *parents, leaf = self.envelope.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = page
        return body

    def _window(self, seen: Seen) -> tuple[int, int]:
        size = int(seen.query.get("limit") or seen.query.get("per_page") or self.page_size)
        if self.style == "offset":
            return int(seen.query.get("offset", "0")), size
        if self.style == "page_number":
            return (int(seen.query.get("page", "1")) - 1) * size, size
        if self.style in ("cursor", "next_link", "link_header"):
            return int(seen.query.get("cursor") or seen.query.get("after") or "0"), size
        return 0, len(self.items)

    def route(self, seen: Seen) -> Reply:
        since = seen.query.get("updated_since")
        items = [item for item in self.items if since is None or item["updated_at"] >= since]
        start, size = self._window(seen)
        page = items[start : start + size]
        following = start + size if start + size < len(items) else None
        extra: dict[str, Any] = {}
        headers: dict[str, str] = {}
        if self.total_key:
            extra["meta"] = {"total": len(items)}
        if self.style == "cursor":
            extra["paging"] = {"next_cursor": None if following is None else str(following)}
        elif self.style == "next_link" and following is not None:
            extra["links"] = {"next": f"{self.path}?after={following}" + (f"&updated_since={since}" if since else "")}
        elif self.style == "link_header" and following is not None:
            headers["Link"] = (
                f'<{self.server.url(self.path)}?after={following}>; rel="next", <{self.server.url(self.path)}>; rel="first"'
            )
        return Reply(body=self._wrap(page, extra), headers=headers)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
