"""rest_pull through the whole engine (`runtime.run.execute`, the real source dispatch) against a real server on
127.0.0.1: three runs per extraction kind and delete policy (create; change and delete; a failing API that
deletes nothing), then a run that catches up."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from compiler.plan import CursorPagination, DeleteGuard, seal
from compiler.plan.model import DeletePolicy, ExtractionKind
from runtime.errors import DeleteGuardTripped, SourceError
from runtime.report import RunReport
from runtime.run import ExecOptions, execute
from tests.runtime.harness import Harness
from tests.runtime.http.api_server import ApiServer, PagedApi, Reply, Seen, records
from tests.runtime.http.httpplans import TOKEN, http_plan, http_source

CURSOR = CursorPagination(strategy="cursor", cursor_param="cursor", next_cursor_path="paging.next_cursor")
GUARD = DeleteGuard(max_delete_percent=20.0, max_delete_count=10_000, min_population=1000)
SCENARIOS = [
    ("snapshot", "auto_delete_missing"),
    ("snapshot", "soft_delete_only"),
    ("snapshot", "never_delete"),
    ("incremental", "soft_delete_only"),
    ("incremental", "never_delete"),
]


def article(i: int, version: int = 0) -> dict[str, Any]:
    """Article i; a later `version` has a new body and a later updated_at (what the API filters on)."""
    (item,) = records(1, start=i)
    item["updated_at"] = f"2024-0{1 + version}-01T00:{i // 60:02d}:{i % 60:02d}Z"
    if version:
        item["body"] += f" v{version}"
    return item


class Api:
    """The articles the server holds, by id, served with cursor pagination 4 at a time."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.items: dict[int, dict[str, Any]] = {}
        self.paged = PagedApi(server, "/articles", "cursor", [], page_size=4)
        self.broken = False
        server.routes["/articles"] = self.route

    def route(self, seen: Seen) -> Reply:
        if self.broken and seen.query.get("cursor"):  # page 1 fine, page 2 a maintenance page
            return Reply(200, b"<html>Down for maintenance</html>", {"Content-Type": "text/html"})
        self.paged.items = [self.items[i] for i in sorted(self.items)]
        return self.paged.route(seen)

    def put(self, ids: range | list[int], version: int = 0) -> None:
        for i in ids:
            self.items[i] = article(i, version)


class HttpHarness(Harness):
    """The shared harness's readers, with runs through the real rest_pull source."""

    def run_http(self, **options: Any) -> RunReport:
        report = execute(
            self.plan, ExecOptions(state_dir=self.state_dir, **options), resolve_secret=lambda secret: TOKEN
        )
        self.runs.append(report)
        return report


def harness(tmp_path: Path, api: ApiServer, kind: ExtractionKind, policy: DeletePolicy) -> HttpHarness:
    source = http_source(api.url("/articles"), pagination=CURSOR)
    if kind == "incremental":
        source = dataclasses.replace(source, watermark_param="updated_since")
    plan = http_plan((tmp_path / "out").as_uri(), source, kind=kind, policy=policy, watermark_field="updated_at")
    plan = dataclasses.replace(plan, reconciliation=dataclasses.replace(plan.reconciliation, delete_guard=GUARD))
    return HttpHarness(tmp_path, seal(plan))


@pytest.mark.parametrize(("kind", "policy"), SCENARIOS)
def test_three_runs(tmp_path: Path, api: ApiServer, kind: ExtractionKind, policy: DeletePolicy) -> None:
    h = harness(tmp_path, api, kind, policy)
    data = Api(api)
    data.put(range(1, 21))

    first = h.run_http()
    assert first.changes is not None
    assert first.changes.new == 20
    docs = {d["id"]: d for d in h.upserts(first)}
    assert docs["a-3"]["structData"]["author.name"] == "Author 3"
    assert docs["a-3"]["structData"]["views"] == 30  # a JSON number stays a number
    assert docs["a-3"]["structData"]["published"] is False
    assert docs["a-4"]["aclInfo"]["readers"][0]["principals"] == [{"groupId": "staff"}, {"groupId": "managers"}]
    assert h.watermark() is not None
    assert "read 5 pages, 20 records" in first.notes[0]

    data.put([3, 4], version=1)
    for gone in (19, 20):
        del data.items[gone]
    data.put([21, 22], version=1)
    second = h.run_http()
    c = second.changes
    assert c is not None
    assert (c.new, c.changed) == (2, 2)
    assert h.upsert_ids(second) >= {"a-3", "a-4", "a-21", "a-22"}
    if kind == "incremental":
        assert (c.extracted, c.deleted, c.soft_deleted, c.missing_kept) == (4, 0, 0, 0)
        assert api.requests("/articles")[-1].query["updated_since"] == first.watermark_after["value"]  # type: ignore[index]
    elif policy == "auto_delete_missing":
        assert h.deletes(second) == {"a-19", "a-20"}
    elif policy == "soft_delete_only":
        assert c.soft_deleted == 2
        assert {d["id"] for d in h.upserts(second) if d["structData"]["sync_deleted"]} == {"a-19", "a-20"}
    else:
        assert c.missing_kept == 2
    if policy != "auto_delete_missing":
        assert h.deletes(second) == set()

    # the API fails on page 2 while 6 articles changed: the run fails, and nothing at all changes
    data.put(range(5, 11), version=2)
    data.broken = True
    before = h.snapshot_files()
    watermark = h.watermark()
    with pytest.raises(
        SourceError,
        match=r"page 2 \(GET http://127\.0\.0\.1:\d+/articles\?.*cursor=4.*\): the response \(text/html\) is not JSON",
    ):
        h.run_http()
    assert h.snapshot_files() == before
    assert h.watermark() == watermark

    # the API is back: the next run catches up with exactly what changed
    data.broken = False
    fourth = h.run_http()
    assert fourth.changes is not None
    assert (fourth.changes.new, fourth.changes.changed, fourth.changes.deleted) == (0, 6, 0)
    if kind == "incremental":
        assert fourth.changes.extracted == 6 + 1  # the six, and the boundary article read again (inclusive)
    assert h.watermark() != watermark


def test_an_empty_answer_from_a_hiccuping_api_never_deletes(tmp_path: Path, api: ApiServer) -> None:
    h = harness(tmp_path, api, "snapshot", "auto_delete_missing")
    data = Api(api)
    data.put(range(1, 11))
    h.run_http()
    before = h.snapshot_files()
    api.routes["/articles"] = lambda seen: Reply(body={"items": [], "paging": {"next_cursor": None}})
    with pytest.raises(DeleteGuardTripped, match="returned no records but 10 documents are known"):
        h.run_http()
    assert h.snapshot_files() == before


def test_a_dry_run_reads_the_api_and_writes_nothing(tmp_path: Path, api: ApiServer) -> None:
    h = harness(tmp_path, api, "snapshot", "auto_delete_missing")
    Api(api).put(range(1, 6))
    report = h.run_http(dry_run=True)
    assert report.changes is not None
    assert report.changes.new == 5
    assert h.snapshot_files() == {}
