"""Reading a plan file for `show` and `diff`: the plan, or a one-line reason it cannot be used."""

from __future__ import annotations

from pathlib import Path

from compiler.plan import Plan, PlanFormatError, loads
from compiler.plan.codec import MAX_PLAN_BYTES
from compiler.plan.files import FileTooLarge, NotARegularFile, read_regular_file


class PlanReadError(Exception):
    """`PATH: reason`, ready to print."""


def read_plan(path: Path) -> Plan:
    try:
        raw = read_regular_file(path, MAX_PLAN_BYTES)
    except (NotARegularFile, FileTooLarge) as exc:
        raise PlanReadError(f"{exc}; a plan is a .plan.json file written by compiler build") from None
    except OSError as exc:
        raise PlanReadError(f"{path}: cannot read the plan: {exc.strerror or exc}") from None
    try:
        return loads(raw)
    except PlanFormatError as exc:
        raise PlanReadError(f"{path}: {exc}") from None
