"""`runtime emulator discoveryengine [--port N] ...`: the flags, and serving until interrupted."""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.emulator.discoveryengine.config import EmulatorConfig
from runtime.emulator.discoveryengine.faults import Faults, HttpFault, parse_fault_flag


def _fault(text: str) -> HttpFault:
    try:
        return parse_fault_flag(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8790, help="port to listen on (8790; 0 picks a free one)")
    parser.add_argument(
        "--content-required",
        action="store_true",
        help="data stores created on first use require content (default: they refuse it)",
    )
    parser.add_argument("--persist", type=Path, help="keep documents in this JSON file across restarts")
    parser.add_argument("--inline-limit", type=int, default=100, help="max documents per inline import (100)")
    parser.add_argument("--lenient-inline", action="store_true", help="accept inline imports over the limit")
    parser.add_argument(
        "--polls-until-done", type=int, default=1, help="GETs of a finished operation still answering done=false (1)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="STATUS[:METHOD[:COUNT[:RETRY_AFTER]]]",
        help="answer STATUS to COUNT matching calls (-1: all), e.g. 429:DELETE:100:0; repeatable",
    )
    parser.add_argument("--reject-id", action="append", default=[], metavar="ID", help="writes of this document fail")
    parser.add_argument("--reject-every", type=int, default=0, metavar="N", help="every Nth imported document fails")
    parser.add_argument("--fail-imports", type=int, default=0, metavar="N", help="the next N imports fail whole")


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    faults = Faults(
        http=list(args.fault),
        reject_ids=set(args.reject_id),
        reject_every=args.reject_every,
        fail_imports=args.fail_imports,
    )
    return EmulatorConfig(
        content_required=args.content_required,
        persist=args.persist,
        inline_limit=args.inline_limit,
        strict_inline=not args.lenient_inline,
        polls_until_done=args.polls_until_done,
        faults=faults,
    )


def run(args: argparse.Namespace) -> int:
    from runtime.emulator.discoveryengine.server import serve

    def announce(address: str) -> None:
        print(
            f"Discovery Engine emulator on http://{address}/v1/ (control: /emulator/); point the runtime at it"
            f" with DISCOVERYENGINE_EMULATOR_HOST={address}",
            flush=True,
        )

    serve(config_from(args), host=args.host, port=args.port, announce=announce)
    return 0
