"""The local API for bench_rest.py: pre-rendered pages of articles over HTTP/1.1 keep-alive, in its own process.

    python -m bench.rest_api --records 100000 --page-size 100     # prints the port, then serves until killed

`GET /articles?page=N&per_page=100` answers `{"meta": {"total": T}, "items": [...]}` with page N of the articles.
Optional query parameters shape a run without another server: `pages=K` serves only the first K pages (and says
so in `total`), `latency_ms=L` waits L ms before each answer (a remote API's round trip).
"""

from __future__ import annotations

import argparse
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

BODY = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
    "consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
    "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum."
)


def article(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "title": f"Article {i}",
        "body": f"{i}: {BODY}",
        "author": {"name": f"Author {i % 97}", "email": f"author{i % 97}@example.com"},
        "groups": ["staff"] if i % 2 else ["staff", "managers"],
        "views": i * 7 % 10_000,
        "updated_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
    }


def render_pages(records: int, page_size: int) -> list[bytes]:
    """Each page's items array as JSON bytes (the records, rendered once at start)."""
    return [
        orjson.dumps([article(i) for i in range(start + 1, min(start + page_size, records) + 1)])
        for start in range(0, records, page_size)
    ]


def serve(records: int, page_size: int) -> None:
    pages = render_pages(records, page_size)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query))
            shown = min(int(query.get("pages", len(pages))), len(pages))
            latency = int(query.get("latency_ms", "0")) / 1000
            number = int(query.get("page", "1"))
            items = pages[number - 1] if 1 <= number <= shown else b"[]"
            total = min(records, shown * page_size)
            body = b'{"meta":{"total":%d},"items":%s}' % (total, items)
            if latency:
                time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    try:
        serve(args.records, args.page_size)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
