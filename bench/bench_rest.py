"""rest_pull benchmark: `runtime.run.execute` of a paginated HTTP connector against a plain httpx loop that only
fetches and JSON-parses the same pages (the floor), in the same run, from the same local API.

    python bench/bench_rest.py [--records 100000] [--pages 1000] [--repeat 3] [--concurrency 4] [--latency-ms 20]

The API (`bench/rest_api.py`) runs in its own process and serves pre-rendered pages (`page_number` pagination
with the total on every page). Each measured phase is a fresh child process, so peak RSS is the phase's own:
  floor            httpx.Client + orjson.loads over every page, sequentially
  first sync       empty state: fetch, map, stage, write every document, commit state
  unchanged        the same pages again: fetch, stage, diff, nothing to upsert
  RSS              first syncs of 1/10 of the pages and of all of them: peak RSS must not grow with the pages
  concurrency      first syncs fetching `--concurrency` pages at a time, on loopback and with `--latency-ms`
                   per answer (a remote API's round trip), against sequential syncs on the same API
Targets (issue 9): first sync <= 2 x floor, unchanged <= 1.5 x floor, peak RSS flat in the number of pages.
`--records 2000 --pages 20 --repeat 1` makes a quick CI run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CONNECTOR = """\
apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata:
  name: {name}
spec:
  mode: rest_pull
  schedule: "0 * * * *"
  source:
    type: http
    secretRef: bench-rest-token
    url: {url}
    maxPages: 100000
    pagination:
      style: page_number
      pageSizeParam: per_page
      pageSize: {page_size}
      totalPath: meta.total
      concurrency: {concurrency}
  mapping:
    idField: id
    titleField: title
    contentTemplate: "{{{{ title }}}} {{{{ body }}}}"
    uriTemplate: "https://kb.example.com/articles/{{{{ id }}}}"
    aclGroupsField: groups
    metadataFields: [author.name, views, updated_at]
  output:
    bucket: file://{artifacts}
    prefix: {name}
  gemini:
    projectId: bench-project
    location: global
    dataStoreId: bench-rest
  ingestion:
    enabled: false  # this benchmark measures the sync; delivery has its own (bench_deliver.py)
  reconciliation:
    deletePolicy: auto_delete_missing
"""


def _start_api(records: int, page_size: int) -> tuple[subprocess.Popen[str], int]:
    api = subprocess.Popen(
        [sys.executable, "-m", "bench.rest_api", "--records", str(records), "--page-size", str(page_size)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert api.stdout is not None
    return api, int(api.stdout.readline())


def _write(folder: Path, name: str, url: str, page_size: int, concurrency: int) -> Path:
    connectors = folder / "connectors"
    connectors.mkdir(parents=True, exist_ok=True)
    text = CONNECTOR.format(
        name=name, url=url, page_size=page_size, concurrency=concurrency, artifacts=(folder / "artifacts").as_posix()
    )
    (connectors / f"{name}.yaml").write_text(text)
    return folder / "plans" / f"{name}.plan.json"


def _compile(folder: Path) -> None:
    build = [sys.executable, "-m", "compiler", "build", str(folder / "connectors"), "--out", str(folder / "plans")]
    subprocess.run([*build, "--root", str(folder)], check=True, cwd=ROOT)


def _child_process(*args: str) -> dict[str, Any]:
    env = dict(os.environ, SECRET_BENCH_REST_TOKEN="bench-token")
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"phase failed ({done.returncode}): {done.stderr.strip()}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _measured(work: Any) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": seconds, "cpuSeconds": cpu, "peakRssMb": usage.ru_maxrss / 1024, **result}


def _child_sync(plan_path: str, state_dir: str) -> None:
    # Imports before the clock starts, as the floor's are: the phases time the work, not the interpreter.
    import runtime.sources.http.pull  # noqa: F401 - the run imports its source lazily
    from runtime.planfile import load_plan
    from runtime.run import ExecOptions, execute

    plan = load_plan(Path(plan_path))
    result = _measured(lambda: {"report": execute(plan, ExecOptions(state_dir=Path(state_dir))).to_json()})
    print(json.dumps(result))


def _child_floor(url: str, pages: str, page_size: str) -> None:
    """The floor: what any client must do to read the pages. Client start-up is inside the timing, as for a sync."""
    import httpx
    import orjson

    def loop() -> dict[str, Any]:
        records = 0
        base = httpx.URL(url)  # `params=` would replace its query (`latency_ms`), so merge into it
        with httpx.Client() as client:
            for number in range(1, int(pages) + 1):
                response = client.get(base.copy_merge_params({"page": number, "per_page": page_size}))
                response.raise_for_status()
                records += len(orjson.loads(response.content)["items"])
        return {"records": records}

    print(json.dumps(_measured(loop)))


def _sync(plan: Path, state: Path) -> dict[str, Any]:
    return _child_process("--child-sync", str(plan), str(state))


def _floor(url: str, pages: int, page_size: int) -> dict[str, Any]:
    return _child_process("--child-floor", url, str(pages), str(page_size))


def _median(attempts: list[dict[str, Any]]) -> float:
    return statistics.median(a["seconds"] for a in attempts)


def _row(label: str, attempts: list[dict[str, Any]], floor: float, records: int) -> str:
    seconds = _median(attempts)
    cpu = statistics.median(a["cpuSeconds"] for a in attempts)
    peak = max(a["peakRssMb"] for a in attempts)
    shown = ", ".join(f"{a['seconds']:.2f}" for a in attempts)
    return (
        f"{label:30} {seconds:8.2f} {seconds / floor:8.2f} {cpu:6.2f} {records / seconds:10,.0f} {peak:7.0f}MB"
        f"  [{shown}]"
    )


Attempts = list[dict[str, Any]]


def _phases(args: argparse.Namespace, page_size: int, small: int) -> dict[str, Attempts]:
    """Every phase against one API process; the API is stopped whatever happens."""
    repeat = max(1, args.repeat)
    api, port = _start_api(args.records, page_size)
    base = f"http://127.0.0.1:{port}/articles"
    slow = f"{base}?latency_ms={args.latency_ms}"
    runs: dict[str, Attempts] = {name: [] for name in ("floor", "first", "unchanged", "small", "parallel")}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-rest-") as scratch:
            folder = Path(scratch)
            plan = _write(folder, "bench-rest", base, page_size, 1)
            small_plan = _write(folder, "bench-rest-small", f"{base}?pages={small}", page_size, 1)
            parallel = _write(folder, "bench-rest-parallel", base, page_size, args.concurrency)
            slow_plan = _write(folder, "bench-rest-slow", slow, page_size, 1)
            slow_parallel = _write(folder, "bench-rest-slow-parallel", slow, page_size, args.concurrency)
            _compile(folder)
            for attempt in range(repeat):
                runs["floor"].append(_floor(base, args.pages, page_size))
                state = folder / f"state-{attempt}"
                runs["first"].append(_sync(plan, state))
                runs["unchanged"].append(_sync(plan, state))
                runs["small"].append(_sync(small_plan, folder / f"state-small-{attempt}"))
                runs["parallel"].append(_sync(parallel, folder / f"state-parallel-{attempt}"))
            runs["slow floor"] = [_floor(slow, args.pages, page_size)]
            runs["slow sequential"] = [_sync(slow_plan, folder / "state-slow")]
            runs["slow parallel"] = [_sync(slow_parallel, folder / "state-slow-parallel")]
    finally:
        api.terminate()
        api.wait(timeout=10)
    for name, pages in (("first", args.pages), ("unchanged", args.pages), ("small", small)):
        counts = runs[name][-1]["report"]["counts"]
        assert counts["extracted"] == pages * page_size, counts
    assert runs["unchanged"][-1]["report"]["counts"]["unchanged"] == args.records
    return runs


def _report(runs: dict[str, Attempts], args: argparse.Namespace, page_size: int, small: int) -> None:
    floor = _median(runs["floor"])
    print(f"\nrest_pull sync, {args.records:,} records over {args.pages:,} pages of {page_size} (local API, loopback)")
    shown = ", ".join(f"{f['seconds']:.2f}" for f in runs["floor"])
    print(f"floor (httpx loop + orjson.loads): median {floor:.2f} s ({shown})")
    print(f"{'phase':30} {'seconds':>8} {'x floor':>8} {'cpu s':>6} {'records/s':>10} {'peak RSS':>9}  attempts")
    print(_row("floor", runs["floor"], floor, args.records))
    print(_row("first sync", runs["first"], floor, args.records))
    print(_row("unchanged re-sync", runs["unchanged"], floor, args.records))
    print(_row(f"first sync, {small} pages", runs["small"], floor, small * page_size))
    print(_row(f"first sync, {args.concurrency} pages at a time", runs["parallel"], floor, args.records))
    slow_floor = _median(runs["slow floor"])
    print(f"\nwith {args.latency_ms} ms per answer: floor {slow_floor:.2f} s")
    print(_row("first sync, sequential", runs["slow sequential"], slow_floor, args.records))
    print(_row(f"first sync, {args.concurrency} pages at a time", runs["slow parallel"], slow_floor, args.records))
    peak_small = max(a["peakRssMb"] for a in runs["small"])
    peak_all = max(a["peakRssMb"] for a in runs["first"])
    print("\ntargets: first sync <= 2 x floor, unchanged <= 1.5 x floor, peak RSS flat in the number of pages")
    print(f"  first sync {_median(runs['first']) / floor:.2f} x floor")
    print(f"  unchanged  {_median(runs['unchanged']) / floor:.2f} x floor")
    print(f"  peak RSS   {peak_small:.0f} MB at {small:,} pages, {peak_all:.0f} MB at {args.pages:,} pages")
    loopback = _median(runs["first"]) / _median(runs["parallel"])
    remote = _median(runs["slow sequential"]) / _median(runs["slow parallel"])
    print(
        f"  concurrency x{args.concurrency}: {loopback:.2f} x faster on loopback, "
        f"{remote:.2f} x faster with {args.latency_ms} ms per answer"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase (the median is shown)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=20, help="per-answer delay of the concurrency phase")
    parser.add_argument("--child-sync", nargs=2, metavar=("PLAN", "STATE"), help=argparse.SUPPRESS)
    parser.add_argument("--child-floor", nargs=3, metavar=("URL", "PAGES", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_sync:
        _child_sync(*args.child_sync)
        return
    if args.child_floor:
        _child_floor(*args.child_floor)
        return
    page_size = args.records // args.pages
    small = max(1, args.pages // 10)
    _report(_phases(args, page_size, small), args, page_size, small)


if __name__ == "__main__":
    main()
