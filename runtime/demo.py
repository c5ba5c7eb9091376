"""`runtime demo`: a full sync of a demo connector from an embedded DuckDB database, twice.

1. create `DIR/source.duckdb` with 200 articles;
2. compile the demo connector (`connectors/demo-articles.yaml` when the current folder has one, else the copy
   below written to `DIR/connectors/`) with `compiler build`, as a user would;
3. `runtime exec` it, edit rows in the source (update 5, insert 3, delete 2), show the dry run's plan of
   changes, run it again;
4. print both run summaries and where the artifacts are.
Each sync delivers into a local Discovery Engine emulator (`runtime.emulator.discoveryengine`) that the demo
starts and stops; after each one it shows the data store's document count and a few documents.
Everything lives under DIR (default ./demo); nothing needs a cloud account or network.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from compiler.plan import Plan
from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig
from runtime.errors import RuntimeFailure
from runtime.ingest.deliver import DiscoveryEngineDeliver
from runtime.ingest.settings import DeliverySettings
from runtime.planfile import load_plan
from runtime.report import render_text
from runtime.run import ExecOptions, execute

CONNECTOR = "demo-articles"
SECRET_ENV = "SECRET_DEMO_DB"

CONNECTOR_YAML = """\
apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata:
  name: demo-articles
spec:
  mode: sql_pull
  schedule: "*/15 * * * *"
  source:
    type: duckdb
    secretRef: demo-db
    query: >
      SELECT id, title, body, department, allowed_users, updated_at
      FROM articles
    watermarkField: updated_at
  mapping:
    idField: id
    titleField: title
    contentTemplate: "{{ title }}\\n\\n{{ body }}"
    uriTemplate: "https://intranet.example.com/articles/{{ id }}"
    aclUsersField: allowed_users
    metadataFields: [department]
  output:
    bucket: file://ARTIFACTS
    prefix: demo-articles
    format: ndjson
  gemini:
    projectId: demo-project
    location: global
    dataStoreId: demo-articles
  reconciliation:
    deletePolicy: auto_delete_missing
"""

_SEED = """
CREATE TABLE articles AS
SELECT i AS id,
       'Article ' || i AS title,
       'This is article ' || i || ' about ' || dept || '. ' || repeat('Lorem ipsum dolor sit amet. ', 1 + i % 5) AS body,
       dept AS department,
       CASE WHEN i % 4 = 0 THEN [] ELSE ['user' || (i % 7) || '@example.com'] END AS allowed_users,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 60) AS updated_at
FROM (SELECT i, (['engineering', 'sales', 'support', 'legal'])[1 + i % 4] AS dept FROM range(1, 201) t(i))
"""

_EDITS = """
UPDATE articles SET body = body || ' (revised)', updated_at = now() WHERE id IN (3, 14, 27, 58, 101);
INSERT INTO articles VALUES
  (201, 'Article 201', 'A brand new article.', 'sales', ['user1@example.com'], now()),
  (202, 'Article 202', 'Another new one.', 'legal', [], now()),
  (203, 'Article 203', 'And a third.', 'support', ['user2@example.com'], now());
DELETE FROM articles WHERE id IN (150, 151);
"""


def _connector(folder: Path) -> Path:
    in_repo = Path("connectors") / f"{CONNECTOR}.yaml"
    if in_repo.is_file():
        return in_repo
    path = folder / "connectors" / f"{CONNECTOR}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONNECTOR_YAML.replace("ARTIFACTS", (folder / "artifacts").as_posix()), encoding="utf-8")
    return path


def _compile(connector: Path, folder: Path) -> Path:
    out = folder / "plans"
    command = [sys.executable, "-m", "compiler", "build", str(connector), "--out", str(out)]
    if connector.is_relative_to(folder):
        command += ["--root", str(folder)]  # our own copy: its plan's input path is relative to the demo folder
    print("$ compiler build " + " ".join(command[4:]), file=sys.stderr)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeFailure(f"compiler build failed ({result.returncode}): {result.stdout}{result.stderr}".strip())
    return out / f"{CONNECTOR}.plan.json"


def _show_data_store(emulator: BackgroundEmulator, plan: Plan) -> None:
    """The data store as the emulator holds it: its document count and the first few documents."""
    import httpx

    assert plan.target is not None
    base = f"http://{emulator.host}/v1/{plan.target.branch}/documents"
    count, token = 0, ""
    first: list[dict[str, Any]] = []
    with httpx.Client(timeout=10) as client:
        while True:
            page = client.get(base, params={"pageSize": 1000, "pageToken": token}).json()
            documents = page.get("documents", [])
            first = first or documents[:3]
            count += len(documents)
            token = page.get("nextPageToken", "")
            if not token:
                break
    print(f"data store {plan.target.data_store} (local emulator): {count} documents, e.g.", file=sys.stderr)
    for document in first:
        data = document.get("structData", {})
        readers = [
            next(iter(p.values())) for r in document.get("aclInfo", {}).get("readers", []) for p in r["principals"]
        ]
        print(
            f"  {document['id']}: {data.get('title')!r} ({data.get('department')}) readers {readers or 'all'}",
            file=sys.stderr,
        )


def run_demo(folder: Path) -> int:
    """Build the demo under `folder` and run it twice. Returns the exit code."""
    folder = folder.resolve()
    for stale in ("source.duckdb", "state", "artifacts", "plans"):
        target = folder / stale
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "source.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(_SEED)
    os.environ[SECRET_ENV] = f"duckdb:///{database.as_posix()}"
    emulator = BackgroundEmulator(EmulatorConfig(content_required=True)).start()
    print(f"started a local Discovery Engine emulator on {emulator.host}", file=sys.stderr)
    deliver = DiscoveryEngineDeliver(
        DeliverySettings(poll_initial=0.05, poll_max=0.2), environ={"DISCOVERYENGINE_EMULATOR_HOST": emulator.host}
    )
    try:
        plan = load_plan(_compile(_connector(folder), folder))
        options = ExecOptions(state_dir=folder / "state")
        print("\n== first sync: 200 articles ==", file=sys.stderr)
        print(render_text(execute(plan, options, deliver=deliver)), file=sys.stderr)
        _show_data_store(emulator, plan)
        with duckdb.connect(str(database)) as con:
            con.execute(_EDITS)
        print("\n== edited the source: 5 updated, 3 inserted, 2 deleted; the plan of changes ==", file=sys.stderr)
        print(render_text(execute(plan, dataclasses.replace(options, dry_run=True), deliver=deliver)), file=sys.stderr)
        print("\n== second sync ==", file=sys.stderr)
        print(render_text(execute(plan, options, deliver=deliver)), file=sys.stderr)
        _show_data_store(emulator, plan)
    except RuntimeFailure as failure:
        print(f"runtime: error: {failure}", file=sys.stderr)
        return failure.exit_code
    finally:
        emulator.stop()
        print("stopped the local Discovery Engine emulator", file=sys.stderr)
    print(f"\nArtifacts: {folder / 'artifacts'}  State: {folder / 'state'}", file=sys.stderr)
    return 0
