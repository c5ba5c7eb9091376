"""The example connector `connectors/hr-employees.yaml`, unchanged, end to end as a user runs it: `compiler build`,
then `runtime exec` (subprocesses) from the real PostgreSQL server into gs://example-sync-artifacts on the GCS
emulator and the data store hr-ds on the Discovery Engine emulator. Full sync, then updates and deletes; the
emulator's documents must equal the table (content, metadata, ACLs as declared)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.api_core.exceptions import Conflict
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig
from tests.deliver.emulators import GcsEmulator

ROOT = Path(__file__).resolve().parents[2]
BRANCH = (
    "projects/example-project/locations/global/collections/default_collection/dataStores/hr-ds/branches/default_branch"
)
TABLE = """
DROP TABLE IF EXISTS employees;
CREATE TABLE employees (
  employee_id integer PRIMARY KEY, full_name text, department text, role text, bio text,
  allowed_users text[], allowed_groups text, updated_at timestamptz
);
INSERT INTO employees
SELECT i, 'Person ' || i, (ARRAY['eng', 'hr', 'sales'])[1 + i % 3], 'role ' || (i % 4), 'Bio of person ' || i,
       CASE WHEN i % 2 = 0 THEN ARRAY['p' || i || '@example.com'] ELSE ARRAY[]::text[] END,
       CASE WHEN i % 3 = 0 THEN 'staff, managers' ELSE NULL END,
       TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 minute'
FROM generate_series(1, 40) AS i;
"""
EDITS = """
UPDATE employees SET bio = bio || ' (promoted)', role = 'lead', updated_at = now() WHERE employee_id IN (4, 9);
DELETE FROM employees WHERE employee_id IN (17, 18);
INSERT INTO employees VALUES (41, 'Person 41', 'eng', 'new', 'Just joined', ARRAY['p41@example.com'], NULL, now());
"""


@pytest.fixture
def hr_data_store() -> Any:
    with BackgroundEmulator(EmulatorConfig(content_required=True)) as emulator:
        yield emulator


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return result


def _expected(pg_conn: Any) -> dict[str, dict[str, Any]]:
    rows = pg_conn.execute(
        "SELECT employee_id, full_name, department, role, bio, allowed_users, allowed_groups FROM employees"
    ).fetchall()
    expected = {}
    for employee_id, name, department, role, bio, users, groups in rows:
        principals = [("userId", u) for u in users] + [("groupId", g.strip()) for g in (groups or "").split(",") if g]
        expected[str(employee_id)] = {
            "title": name,
            "uri": f"https://hr.example.com/employees/{employee_id}",
            "department": department,
            "role": role,
            "content": f"{department} {role} {bio}",
            "principals": sorted(principals),
        }
    return expected


def _stored(emulator: BackgroundEmulator) -> dict[str, dict[str, Any]]:
    page = httpx.get(f"http://{emulator.host}/v1/{BRANCH}/documents", params={"pageSize": 1000}).json()
    stored = {}
    for document in page.get("documents", []):
        data = document["structData"]
        readers = document.get("aclInfo", {}).get("readers", [])
        stored[document["id"]] = {
            "title": data["title"],
            "uri": data["uri"],
            "department": data["department"],
            "role": data["role"],
            "content": base64.b64decode(document["content"]["rawBytes"]).decode(),
            "principals": sorted((k, v) for r in readers for p in r["principals"] for k, v in p.items()),
        }
    return stored


@pytest.mark.postgres
def test_hr_employees_example_through_both_emulators(
    tmp_path: Path,
    pg_conn: Any,
    pg_url: str,
    gcs_emulator: GcsEmulator,
    hr_data_store: BackgroundEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)  # how the Discovery Engine emulator reads gs://
    pg_conn.execute(TABLE)
    bucket = storage.Client(
        project="t", credentials=AnonymousCredentials(), client_options={"api_endpoint": gcs_emulator.url}
    )
    with contextlib.suppress(Conflict):  # another run of this test in the same session made it
        bucket.create_bucket("example-sync-artifacts")
    env = {
        **os.environ,
        "SECRET_HR_DB_CREDENTIALS": pg_url,
        "STORAGE_EMULATOR_HOST": gcs_emulator.url,
        "DISCOVERYENGINE_EMULATOR_HOST": hr_data_store.host,
    }
    plans = tmp_path / "plans"
    _run(
        [
            sys.executable,
            "-m",
            "compiler",
            "build",
            str(ROOT / "connectors" / "hr-employees.yaml"),
            "--out",
            str(plans),
        ],
        env,
        ROOT,
    )
    run = [
        sys.executable,
        "-m",
        "runtime",
        "exec",
        str(plans / "hr-employees.plan.json"),
        "--state-dir",
        str(tmp_path / "state"),
        "--json",
    ]

    first = json.loads(_run(run, env, tmp_path).stdout)
    assert first["delivery"]["upserted"] == 40
    assert first["artifacts"].startswith("gs://example-sync-artifacts/hr-employees/runs/")
    assert _stored(hr_data_store) == _expected(pg_conn)
    assert hr_data_store.emulator.calls["POST import"] == 1  # a GCS import of the run's artifact

    pg_conn.execute(EDITS)
    second = json.loads(_run(run, env, tmp_path).stdout)
    assert (second["delivery"]["upserted"], second["delivery"]["deleted"]) == (3, 2)
    assert _stored(hr_data_store) == _expected(pg_conn)
