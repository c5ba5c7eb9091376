"""`runtime exec` refusals and exit codes, through the real entry point (`python -m runtime`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.plan import InputFile, Plan, dumps, seal
from tests.runtime.planbuilder import make_plan


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def write(path: Path, plan: Plan) -> Path:
    path.write_bytes(dumps(plan))
    return path


def test_tampered_plan_is_refused_with_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path / "plan.json", make_plan((tmp_path / "out").as_uri()))
    path.write_text(path.read_text().replace("SELECT id", "SELECT 1 AS id"))
    result = cli("exec", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "plan hash does not match" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_unsupported_format_version_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "plan.json", make_plan((tmp_path / "out").as_uri()))
    data = json.loads(path.read_text())
    data["formatVersion"] = 99
    path.write_text(json.dumps(data))
    result = cli("exec", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "unsupported plan formatVersion 99" in result.stderr


def test_stale_plan_is_refused_with_source_root(tmp_path: Path) -> None:
    connector = tmp_path / "connectors" / "docs.yaml"
    connector.parent.mkdir()
    connector.write_text("original\n")
    digest = hashlib.sha256(connector.read_bytes()).hexdigest()
    plan = make_plan((tmp_path / "out").as_uri(), inputs=(InputFile("connectors/docs.yaml", digest),))
    path = write(tmp_path / "plan.json", plan)
    connector.write_text("edited\n")
    result = cli("exec", str(path), "--source-root", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "runtime: error: plan is stale: connectors/docs.yaml changed since it was compiled; run compiler build"
    )


@pytest.mark.parametrize("mode", ["rest_pull", "rest_push"])
def test_a_mode_that_does_not_match_its_source_is_refused(tmp_path: Path, mode: str) -> None:
    plan = seal(dataclasses.replace(make_plan((tmp_path / "out").as_uri()), mode=mode))  # type: ignore[arg-type]
    result = cli("exec", str(write(tmp_path / "plan.json", plan)), cwd=tmp_path)
    assert result.returncode == 2
    assert f"mode {mode} with a SqlSource" in result.stderr


def test_gs_output_without_credentials_is_refused_and_json_reports_failure(tmp_path: Path) -> None:
    plan = make_plan("gs://bucket/docs")
    env = {k: v for k, v in os.environ.items() if k not in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS")}
    result = cli("exec", str(write(tmp_path / "plan.json", plan)), "--json", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "no Google credentials for gs:// artifacts" in result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "failed"
    assert report["exitCode"] == 2


def test_missing_plan_file(tmp_path: Path) -> None:
    result = cli("exec", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot read plan" in result.stderr
