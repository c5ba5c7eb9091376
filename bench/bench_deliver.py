"""Delivery benchmark: upserts through a GCS import and explicit deletes, to the local emulators.

    python bench/bench_deliver.py [--upserts 100000] [--deletes 10000] [--uploads 3]

Both emulators run as their own processes (`gcp-storage-emulator start`, `runtime emulator discoveryengine`),
so the client side is measured as it would run. Phases, in one run:
  upload         the upserts artifact to the bucket: our `GcsStore.put_file` against the official
                 google-cloud-storage client uploading the same file alone (`blob.upload_from_filename`);
                 alternated, medians of `--uploads` (target: ours <= 1.5 x the official client)
  import         `DiscoveryEngineDeliver` with the artifact in gs://: one GCS import operation, polled
  deletes        `DiscoveryEngineDeliver`: `--deletes` explicit deletes (target: >= 1,000 deletes/s)
  floor          the same number of deletes with Google's own google-cloud-discoveryengine client (REST),
                 16 threads; and a plain sequential loop over 1/10 of them (what one-by-one costs)
Figures are printed; record them in docs/benchmarks.md with the machine. `--upserts 2000 --deletes 200` is
the smoke run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
BUCKET = "bench-deliver"
PROJECT_BRANCH = (
    "projects/bench/locations/global/collections/default_collection/dataStores/bench/branches/default_branch"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_http(url: str, deadline_s: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + deadline_s
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit(f"bench_deliver: {url} did not come up") from None
            time.sleep(0.05)


@contextlib.contextmanager
def _emulators() -> Iterator[tuple[str, str]]:
    """(STORAGE_EMULATOR_HOST, DISCOVERYENGINE_EMULATOR_HOST), each emulator its own process."""
    gcs_port, de_port = _free_port(), _free_port()
    gcs_url = f"http://127.0.0.1:{gcs_port}"
    env = {**os.environ, "STORAGE_EMULATOR_HOST": gcs_url}
    gcs = subprocess.Popen(
        [str(BIN / "gcp-storage-emulator"), "start", "--host", "127.0.0.1", "--port", str(gcs_port), "--in-memory"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    de = subprocess.Popen(
        [str(BIN / "runtime"), "emulator", "discoveryengine", "--port", str(de_port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_http(gcs_url)
        _wait_http(f"http://127.0.0.1:{de_port}/emulator/health")
        yield gcs_url, f"127.0.0.1:{de_port}"
    finally:
        for process in (de, gcs):
            process.terminate()
            process.wait(timeout=10)


def _write_upserts(path: Path, count: int) -> None:
    """Documents shaped like the runtime's (structData with title/uri/metadata, aclInfo; no content)."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            document = {
                "id": f"doc-{i:07}",
                "structData": {
                    "title": f"Document {i}",
                    "uri": f"https://docs.example.com/{i}",
                    "department": ("eng", "hr", "sales", "ops")[i % 4],
                    "summary": "lorem ipsum dolor sit amet " * 8,
                },
                "aclInfo": {"readers": [{"principals": [{"userId": f"u{i % 500}@example.com"}, {"groupId": "all"}]}]},
            }
            out.write(json.dumps(document, separators=(",", ":")) + "\n")


def _ids_file(path: Path, ids: list[str]) -> Path:
    path.write_text("".join(json.dumps({"id": i}) + "\n" for i in ids), encoding="utf-8")
    return path


def bench_upload(path: Path, runs: int) -> dict[str, float]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from runtime.deliver.gcs import GcsStore

    official = storage.Client(project="bench", credentials=AnonymousCredentials())
    official.create_bucket(BUCKET)
    ours = GcsStore.from_uri(f"gs://{BUCKET}/ours")
    times: dict[str, list[float]] = {"ours": [], "official": []}
    for run in range(runs):
        for who in ("ours", "official") if run % 2 == 0 else ("official", "ours"):
            started = time.perf_counter()
            if who == "ours":
                ours.put_file(f"runs/r{run}/upserts.ndjson", path, content_type="application/x-ndjson")
            else:
                official.bucket(BUCKET).blob(f"official/r{run}/upserts.ndjson").upload_from_filename(str(path))
            times[who].append(time.perf_counter() - started)
    ours.put_file("runs/import/upserts.ndjson", path, content_type="application/x-ndjson")
    return {who: statistics.median(values) for who, values in times.items()}


def _request(tmp: Path, upserts: Path, count: int, uri: str, deletes: list[str]):  # type: ignore[no-untyped-def]
    from runtime.ingest import DeliveryRequest
    from tests.runtime.planbuilder import make_plan

    plan = make_plan(tmp.as_uri())
    target = plan.target
    import dataclasses

    from compiler.plan import seal

    branch = PROJECT_BRANCH
    plan = seal(
        dataclasses.replace(
            plan, target=dataclasses.replace(target, branch=branch, data_store=branch.split("/branches/")[0])
        )
    )
    return DeliveryRequest(
        plan=plan,
        run_id="bench",
        upserts=upserts,
        upserts_uri=uri,
        upserts_count=count,
        deletes=_ids_file(tmp / f"deletes-{len(deletes)}-{deletes[0] if deletes else 'none'}.ndjson", deletes),
        deletes_count=len(deletes),
    )


def _official_deletes(host: str, ids: list[str], threads: int) -> float:
    from google.api_core import exceptions
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import discoveryengine_v1 as dev1

    client = dev1.DocumentServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{host}"),
    )

    def delete(document_id: str) -> None:
        with contextlib.suppress(exceptions.NotFound):
            client.delete_document(name=f"{PROJECT_BRANCH}/documents/{document_id}")

    started = time.perf_counter()
    if threads == 1:
        for document_id in ids:
            delete(document_id)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(delete, ids))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upserts", type=int, default=100_000)
    parser.add_argument("--deletes", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=3, help="upload runs of each client (medians)")
    args = parser.parse_args(argv)
    if args.deletes * 2 + args.deletes // 10 > args.upserts:
        parser.error("--upserts must be at least 2.1 x --deletes (each delete phase needs its own documents)")

    import httpx

    from runtime.ingest.deliver import DiscoveryEngineDeliver
    from runtime.ingest.settings import DeliverySettings

    with tempfile.TemporaryDirectory(prefix="bench-deliver-") as scratch, _emulators() as (gcs_url, de_host):
        os.environ["STORAGE_EMULATOR_HOST"] = gcs_url
        tmp = Path(scratch)
        upserts = tmp / "upserts.ndjson"
        _write_upserts(upserts, args.upserts)
        size_mb = upserts.stat().st_size / 1e6
        print(f"upserts artifact: {args.upserts:,} documents, {size_mb:.1f} MB")

        uploads = bench_upload(upserts, args.uploads)
        ratio = uploads["ours"] / uploads["official"]
        print(
            f"upload      ours {uploads['ours']:.3f} s, official client alone {uploads['official']:.3f} s:"
            f" {ratio:.2f} x (target <= 1.5 x)"
        )

        settings = DeliverySettings(delete_rate=0, poll_initial=0.05, poll_max=0.5)
        deliver = DiscoveryEngineDeliver(settings, environ={"DISCOVERYENGINE_EMULATOR_HOST": de_host})
        uri = f"gs://{BUCKET}/ours/runs/import/upserts.ndjson"
        started = time.perf_counter()
        result = deliver(_request(tmp, upserts, args.upserts, uri, []))
        elapsed = time.perf_counter() - started
        if result.failed or result.upserted != args.upserts:
            raise SystemExit(f"bench_deliver: import incomplete: {result}")
        print(
            f"import      {args.upserts:,} upserts in {elapsed:.2f} s ({args.upserts / elapsed:,.0f}/s), {result.calls} calls"
        )

        ids = [f"doc-{i:07}" for i in range(args.upserts)]
        ours_ids, official_ids = ids[: args.deletes], ids[args.deletes : 2 * args.deletes]
        loop_ids = ids[2 * args.deletes : 2 * args.deletes + args.deletes // 10]
        started = time.perf_counter()
        result = deliver(_request(tmp, upserts, 0, uri, ours_ids))
        elapsed = time.perf_counter() - started
        if result.failed or result.deleted != args.deletes:
            raise SystemExit(f"bench_deliver: deletes incomplete: {result}")
        ours_rate = args.deletes / elapsed
        print(
            f"deletes     ours: {args.deletes:,} in {elapsed:.2f} s = {ours_rate:,.0f} deletes/s, {result.calls} calls"
            f" (concurrency {settings.delete_concurrency}; target >= 1,000/s)"
        )
        official = _official_deletes(de_host, official_ids, settings.delete_concurrency)
        print(
            f"floor       official google-cloud-discoveryengine client, {settings.delete_concurrency} threads:"
            f" {args.deletes / official:,.0f} deletes/s ({ours_rate / (args.deletes / official):.2f} x ours)"
        )
        sequential = _official_deletes(de_host, loop_ids, 1)
        print(
            f"floor       official client, plain sequential loop: {len(loop_ids) / sequential:,.0f} deletes/s"
            " (the earlier tool: at most 20/s, one by one with a 50 ms sleep)"
        )
        remaining = httpx.get(f"http://{de_host}/emulator/dataStores").json()["dataStores"][0]["documentCount"]
        expected = args.upserts - 2 * args.deletes - len(loop_ids)
        if remaining != expected:
            raise SystemExit(f"bench_deliver: the emulator holds {remaining} documents, expected {expected}")
        print(f"check       the emulator holds {remaining:,} documents, as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
