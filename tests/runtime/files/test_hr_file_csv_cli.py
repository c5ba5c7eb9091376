"""The example connector `connectors/hr-file-csv.yaml` (the earlier tool's hr-file-csv shape) through the two
command lines, from a fresh copy of the repository: `compiler build`, then `runtime exec` started elsewhere."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False)


def upserts(run_dir: Path) -> dict[str, dict[str, object]]:
    return {d["id"]: d for d in map(json.loads, (run_dir / "upserts.ndjson").read_text().splitlines())}


def test_hr_file_csv_compiles_and_runs_with_its_folder_read_from_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "connectors").mkdir()
    shutil.copy(ROOT / "connectors" / "hr-file-csv.yaml", repo / "connectors")
    shutil.copytree(ROOT / "examples" / "hr-files", repo / "examples" / "hr-files")
    built = tool("compiler", "build", "connectors", "--out", "plans", cwd=repo)
    assert built.returncode == 0, built.stderr
    plan = json.loads((repo / "plans" / "hr-file-csv.plan.json").read_text())
    assert plan["source"]["folder"] == "examples/hr-files"
    assert plan["source"]["relativeToSourceRoot"] is True

    elsewhere = tmp_path / "somewhere-else"  # the earlier tool resolved the folder against this: we must not
    elsewhere.mkdir()
    exec_args = ("runtime", "exec", str(repo / "plans" / "hr-file-csv.plan.json"), "--state-dir", "state", "--json")
    first = tool(*exec_args, cwd=elsewhere)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    run_dir = elsewhere / "out" / "artifacts" / "hr-file-csv" / "runs" / report["runId"]
    docs = upserts(run_dir)
    assert sorted(docs) == ["1001", "1002", "2001", "2002"]
    grace = docs["1002"]
    content = grace["content"]
    assert isinstance(content, dict)
    assert base64.b64decode(content["rawBytes"]).decode() == "Grace Hopper, Director,\nCompilers in Engineering"
    assert grace["structData"] == {
        "title": "Grace Hopper",
        "uri": "https://hr.example.com/employees/1002",
        "department": "Engineering",
        "role": "Director,\nCompilers",
        "file_name": "employees-eng.csv",
    }
    katherine = docs["2002"]["structData"]
    assert isinstance(katherine, dict)
    assert katherine["role"] is None
    assert report["watermarkAfter"]["value"] == "2024-03-03T08:15:00Z"

    second = tool(*exec_args, cwd=elsewhere)
    assert second.returncode == 0, second.stderr
    assert "0 read, 2 unchanged since the last run" in " ".join(json.loads(second.stdout)["notes"])

    (repo / "examples" / "hr-files" / "employees-sales.csv").unlink()
    third = tool(*exec_args, cwd=elsewhere)
    assert third.returncode == 0, third.stderr
    third_dir = run_dir.parent / json.loads(third.stdout)["runId"]
    deleted = {json.loads(line)["id"] for line in (third_dir / "deletes.ndjson").read_text().splitlines()}
    assert deleted == {"2001", "2002"}
