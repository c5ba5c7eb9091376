"""Expected vs actual, as a keyed diff: the document id, then the field, then expected and actual values."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import Any

from runtime.harness.case import Expect
from runtime.harness.documents import Actual


@dataclass(frozen=True, slots=True)
class Difference:
    where: str
    """`document 42: title`, `deleted`, `watermark`, `failure`."""
    expected: str
    actual: str


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def normal(value: Any) -> Any:
    """YAML scalars compared by meaning: a timestamp or decimal as its text, an integer id as a string."""
    if isinstance(value, dict):
        return {str(k): normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def compare(expect: Expect, actual: Actual) -> list[Difference]:
    if expect.failure is not None:
        if actual.failure is None:
            return [Difference("failure", f"the run fails with {expect.failure!r}", "the run succeeded")]
        if expect.failure not in actual.failure:
            return [Difference("failure", f"a message containing {expect.failure!r}", actual.failure)]
        return []
    if actual.failure is not None:
        return [Difference("failure", "the run succeeds", actual.failure)]
    found: list[Difference] = []
    if expect.upserted is not None:
        found += _documents(expect.upserted, actual.upserted, subset=expect.compare == "subset")
    for key, wanted, got in (
        ("deleted", expect.deleted, actual.deleted),
        ("softDeleted", expect.soft_deleted, actual.soft_deleted),
    ):
        if wanted is not None and sorted(wanted) != sorted(got):
            missing, extra = sorted(set(wanted) - set(got)), sorted(set(got) - set(wanted))
            detail = "; ".join(
                p
                for p in (f"missing {show(missing)}" if missing else "", f"unexpected {show(extra)}" if extra else "")
                if p
            )
            found.append(Difference(f"{key} ({detail})", show(sorted(wanted)), show(sorted(got))))
    if expect.has_watermark and _watermark(expect.watermark) != _watermark(actual.watermark):
        found.append(Difference("watermark", show(normal(expect.watermark)), show(actual.watermark)))
    return found


def _watermark(value: Any) -> str | None:
    """Watermarks compare as text: the state keeps each one as its exact text (`2024-05-01 10:00:00`, `42`)."""
    if value is None:
        return None
    text = normal(value)
    return text if isinstance(text, str) else show(text)


def _documents(expected: list[dict[str, Any]], actual: dict[str, dict[str, Any]], subset: bool) -> list[Difference]:
    found: list[Difference] = []
    wanted = {doc["id"]: doc for doc in expected}
    for doc_id in sorted(wanted.keys() | actual.keys()):
        if doc_id not in actual:
            found.append(Difference(f"document {doc_id}", "upserted", "not upserted"))
            continue
        if doc_id not in wanted:
            found.append(Difference(f"document {doc_id}", "not upserted", f"upserted {show(actual[doc_id])}"))
            continue
        want, got = normal(wanted[doc_id]), actual[doc_id]
        names = [k for k in want if k != "id"] if subset else sorted((want.keys() | got.keys()) - {"id"})
        for name in names:
            if want.get(name) != got.get(name):
                expected_text = show(want[name]) if name in want else "(not listed)"
                actual_text = show(got[name]) if name in got else "(absent)"
                found.append(Difference(f"document {doc_id}: {name}", expected_text, actual_text))
    return found
