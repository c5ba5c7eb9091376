"""Run harness cases: compile their connectors as usual, then run each case's runs through the real engine.

Each case gets a fresh state folder and `file://` bucket that all its runs share, so the second run diffs
against the first exactly as in production. Only the source is fed by the case (`runtime.harness.given`);
mapping, staging, the diff, the delete guard, the published artifacts and the state commit are the runtime's
own code. Secrets resolve to the case's stubs, never to the environment, and nothing is delivered: the harness
checks what each run publishes, which is what a data store imports.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from compiler.plan import Plan, Secret
from runtime.errors import ConfigError, RuntimeFailure
from runtime.harness.case import Case, CaseError, Run
from runtime.harness.compare import Difference, compare
from runtime.harness.documents import Actual, read_run
from runtime.harness.given import HarnessRun, prepare
from runtime.planfile import load_plan
from runtime.run import ExecOptions, ResolveSecret, execute
from runtime.sources.base import OpenPull
from runtime.stage import SharedWorkspaces

HARNESS_MEMORY_MB = 512
"""Each run's DuckDB memory limit: cases are small, and many run in one process."""


@dataclass(slots=True)
class RunResult:
    run: Run
    actual: Actual
    differences: list[Difference]


@dataclass(slots=True)
class CaseResult:
    case: Case
    runs: list[RunResult] = field(default_factory=list)
    error: str | None = None
    """The case could not run (its connector does not compile, a given is invalid)."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and all(not r.differences for r in self.runs)


def connector_names(root: Path) -> dict[str, Path]:
    """Each connector's `metadata.name` -> its file in `connectors/`."""
    found: dict[str, Path] = {}
    folder = root / "connectors"
    yaml = YAML(typ="safe")
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []:
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
        except (YAMLError, OSError, UnicodeDecodeError):
            continue  # the linter reports it; its cases then fail as naming no connector
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "Connector":
                name = (document.get("metadata") or {}).get("name")
                if isinstance(name, str):
                    found.setdefault(name, path)
    return found


def compile_plans(root: Path, files: Sequence[Path], out: Path) -> str:
    """`compiler build FILES --out OUT`, as a user runs it; its diagnostics when something does not compile.

    Run as a process: the runtime depends on the plan, never on the compiler's code."""
    command = [sys.executable, "-m", "compiler", "build", *map(str, files), "--out", str(out), "--root", str(root)]
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}  # plain text diagnostics to quote
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, check=False)
    return (done.stdout + done.stderr).strip() if done.returncode else ""


def harness_plan(plan: Plan, bucket: Path) -> Plan:
    """The plan as compiled, publishing into the case's bucket and delivering nowhere."""
    output = dataclasses.replace(plan.output, base_uri=f"file://{bucket}", publish_latest_alias=False)
    return dataclasses.replace(plan, output=output, ingestion_enabled=False)


def stub_secrets(case: Case) -> ResolveSecret:
    def resolve(secret: Secret) -> str:
        return case.secrets.get(secret.name, f"harness-stub-{secret.name}")

    return resolve


def scratch_parent() -> str | None:
    """Where cases keep their state and bucket: memory (`/dev/shm`) when the machine has it, since a case needs
    no durability and the engine's fsyncs then cost nothing; else the system's temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


SCRATCH_PREFIX = "gemini-sync-case-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def sweep_abandoned(parent: Path) -> None:
    """Remove the scratch folders of harness processes that died without cleaning up (kill -9): in `/dev/shm`
    they would hold memory until the machine restarts. A folder is named after the process that made it."""
    for folder in parent.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def run_case(case: Case, plan: Plan, root: Path) -> CaseResult:
    result = CaseResult(case)
    started = time.perf_counter()
    prefix = f"{SCRATCH_PREFIX}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=scratch_parent()) as tmp:
        folder = Path(tmp)
        bucket = folder / "bucket"
        bucket.mkdir()
        planned = harness_plan(plan, bucket)
        resolve = stub_secrets(case)
        for run in case.runs:
            workdir = folder / f"run-{run.index + 1}"
            workdir.mkdir()
            harness = HarnessRun(workdir=workdir, state_dir=folder / "state", bucket=bucket, root=root)
            try:
                prepared = prepare(planned, case, run, harness)
            except RuntimeFailure as failure:
                result.error = f"run {run.index + 1} ({run.name}): {failure}"
                break
            actual = _execute(prepared.plan, prepared.open_pull, resolve, harness)
            result.runs.append(RunResult(run, actual, compare(run.expect, actual)))
    result.seconds = time.perf_counter() - started
    return result


@functools.cache
def _workspaces() -> SharedWorkspaces:
    """Cases run one after another in this process: their runs share one DuckDB database, a catalog each."""
    return SharedWorkspaces()


def _execute(plan: Plan, open_pull: OpenPull, resolve: ResolveSecret, harness: HarnessRun) -> Actual:
    options = ExecOptions(
        state_dir=harness.state_dir,
        memory_limit_mb=HARNESS_MEMORY_MB,
        source_root=harness.root,
        workspaces=_workspaces(),
    )
    try:
        report = execute(plan, options, open_pull=open_pull, resolve_secret=resolve)
    except RuntimeFailure as failure:  # the case's scratch folder changes every time: never part of an expectation
        return Actual(failure=str(failure).replace(str(harness.workdir.parent), "<case>"))
    actual = read_run(harness.bucket / "runs" / report.run_id, plan)
    actual.watermark = (report.watermark_after or {}).get("value")
    return actual


def run_cases(cases: Sequence[Case], root: Path) -> Iterator[CaseResult]:
    """Compile every connector the cases name (one `compiler build`), then run the cases in order."""
    sweep_abandoned(Path(scratch_parent() or tempfile.gettempdir()))
    names = connector_names(root)
    wanted = sorted({case.connector for case in cases if case.connector in names})
    with tempfile.TemporaryDirectory(prefix="gemini-sync-plans-") as tmp:
        out = Path(tmp)
        diagnostics = compile_plans(root, [names[n] for n in wanted], out) if wanted else ""
        for case in cases:
            if case.connector not in names:
                known = ", ".join(sorted(names)) or "none"
                yield CaseResult(case, error=f"no connector named {case.connector!r} in connectors/ (known: {known})")
                continue
            path = out / f"{case.connector}.plan.json"
            if not path.is_file():
                detail = diagnostics.splitlines()[0] if diagnostics else "no plan was written"
                yield CaseResult(case, error=f"connector {case.connector!r} does not compile: {detail}")
                continue
            try:
                plan = load_plan(path, root)
            except ConfigError as failure:
                yield CaseResult(case, error=str(failure))
                continue
            yield run_case(case, plan, root)


__all__ = ["CaseError", "CaseResult", "RunResult", "connector_names", "run_case", "run_cases"]
