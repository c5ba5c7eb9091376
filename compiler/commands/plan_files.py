"""Reading a plan file for `show` and `diff`: the plan, or a one-line reason it cannot be used."""

from __future__ import annotations

from pathlib import Path

from compiler.plan import Plan, PlanFormatError, loads


class PlanReadError(Exception):
    """`PATH: reason`, ready to print."""


def read_plan(path: Path) -> Plan:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanReadError(f"{path}: cannot read the plan: {exc.strerror or exc}") from None
    try:
        return loads(raw)
    except PlanFormatError as exc:
        raise PlanReadError(f"{path}: {exc}") from None
