"""Each mode's `given`: the only dispatch on the plan's source kind in the harness, and it is exhaustive."""

from __future__ import annotations

from typing import assert_never

from compiler.plan import FileSource, HttpSource, Plan, PushSource, SqlSource
from runtime.harness.case import Case, Run
from runtime.harness.given.base import HarnessRun, Prepared

__all__ = ["HarnessRun", "Prepared", "prepare"]


def prepare(plan: Plan, case: Case, run: Run, harness: HarnessRun) -> Prepared:
    """The plan and pull for one run of a case, fed from the run's `given`."""
    source = plan.source
    if isinstance(source, SqlSource):
        from runtime.harness.given.sql import prepare_sql

        return prepare_sql(plan, source, case, run, harness)
    if isinstance(source, HttpSource):
        from runtime.harness.given.http import prepare_http

        return prepare_http(plan, source, case, run, harness)
    if isinstance(source, PushSource):
        from runtime.harness.given.push import prepare_push

        return prepare_push(plan, source, case, run, harness)
    if isinstance(source, FileSource):
        from runtime.harness.given.files import prepare_files

        return prepare_files(plan, source, case, run, harness)
    assert_never(source)
