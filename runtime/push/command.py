"""The `runtime serve` command line, kept free of server imports so `runtime exec` starts fast."""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.push.limits import Limits


def add_serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve", help="receive pushed events for rest_push plans (POST /v1/connectors/NAME/events)"
    )
    serve.add_argument("plans", type=Path, nargs="+", metavar="PLAN", help="plan.json files of rest_push connectors")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (8080; 0 picks a free one)")
    serve.add_argument("--state-dir", type=Path, default=Path("state"), help="connector state folder (./state)")
    serve.add_argument("--source-root", type=Path, help="refuse a plan if its connector files changed here")
    defaults = Limits()
    serve.add_argument("--max-body-bytes", type=int, default=defaults.max_body_bytes)
    serve.add_argument("--max-events", type=int, default=defaults.max_events, help="events per request")
    serve.add_argument("--max-record-bytes", type=int, default=defaults.max_record_bytes)
    serve.add_argument("--max-depth", type=int, default=defaults.max_depth, help="JSON nesting of one record")
