"""`compiler validate` and `python scripts/validate_connectors.py`: paths, exit codes, formats and the lint cache.

Every test points GEMINI_SYNC_CACHE_DIR at a temporary folder (autouse fixture), so nothing touches ~/.cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler import validation
from compiler.check import checker
from compiler.cli import main
from compiler.validation import PARALLEL_THRESHOLD, validate_paths

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "validate_connectors.py"
CONSOLE = Path(sys.executable).parent / "compiler"
HR = (REPO / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8")
STAR = HR.replace(
    "SELECT employee_id, full_name, department, role, bio,\n      allowed_users, allowed_groups, updated_at", "SELECT *"
)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "lint-cache"
    monkeypatch.setenv("GEMINI_SYNC_CACHE_DIR", str(directory))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return directory


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def write(folder: Path, name: str, text: str) -> Path:
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=60, check=False)


# --- exit codes --------------------------------------------------------------------------------------------------


def test_clean_files_exit_0(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "hr-employees.yaml", HR)
    code, out, err = cli(capsys, "hr-employees.yaml")
    assert (code, out, err) == (0, "1 file checked: no problems\n", "")


def test_warnings_exit_0_unless_strict(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "hr-employees.yaml", STAR)
    code, out, _ = cli(capsys, "hr-employees.yaml")
    assert code == 0
    assert "warning[GS109]" in out
    code, out, _ = cli(capsys, "--strict", "hr-employees.yaml")
    assert code == 1
    assert "error[GS109]" in out  # a strict run reports the warnings that fail it as errors
    assert out.endswith("1 file checked: 1 error, 0 warnings in 1 file (1 warning counted as error: strict)\n")


def test_errors_exit_1(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "hr-employees.yaml", HR.replace("location: global", "location: mars"))
    code, out, _ = cli(capsys, "hr-employees.yaml")
    assert code == 1
    assert out.startswith("hr-employees.yaml:32:15: error[GS053] spec.gemini.location must be one of global, us, eu")


def test_missing_path_exits_2(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "hr-employees.yaml", HR)
    code, out, err = cli(capsys, "hr-employees.yaml", "nope.yaml")
    assert code == 2
    assert out == ""
    assert err == "error: nope.yaml: no such file or folder\n"


def test_unreadable_file_exits_2(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(work, "hr-employees.yaml", HR)
    original = validation.read_regular_file

    def deny(path: Path, limit: int) -> bytes:
        if path.name == "hr-employees.yaml":
            raise PermissionError(13, "Permission denied")
        return original(path, limit)

    monkeypatch.setattr(validation, "read_regular_file", deny)
    code, out, err = cli(capsys, "hr-employees.yaml")
    assert code == 2
    assert out == ""
    assert err == "error: hr-employees.yaml: cannot read: Permission denied\n"


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "xml"])
    assert exc.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


# --- paths -------------------------------------------------------------------------------------------------------


def test_default_path_is_connectors_from_the_repository_root(tmp_path: Path) -> None:
    proc = run_process([sys.executable, str(SCRIPT)], REPO, GEMINI_SYNC_CACHE_DIR=str(tmp_path / "c"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    connectors = len(list((REPO / "connectors").glob("*.yaml")))
    cases = len(list((REPO / "tests" / "connectors").rglob("*.yaml")))  # harness cases are checked too
    assert cases > 0
    assert proc.stdout == f"{connectors + cases} files checked: no problems\n"


def test_default_path_missing_elsewhere_exits_2(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys)
    assert code == 2
    assert "connectors: no such file or folder" in err


def test_folders_recurse_and_take_yaml_and_yml_only(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "team/a/hr-employees.yaml", HR)
    write(work, "team/b/kb.yml", "apiVersion: [\n")
    write(work, "team/README.md", "apiVersion: [\n")
    write(work, "team/notes.txt", "apiVersion: [\n")
    code, out, _ = cli(capsys, "--format", "json", "team")
    report = json.loads(out)
    assert code == 1
    assert report["summary"]["files"] == 2
    assert {d["file"] for d in report["diagnostics"]} == {"team/b/kb.yml"}


def test_pre_commit_style_file_list(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pre-commit passes changed files by name; the same file twice is checked once; any suffix named is read."""
    write(work, "a/hr-employees.yaml", HR)
    write(work, "b/kb-rest.yaml", (REPO / "connectors" / "kb-rest.yaml").read_text(encoding="utf-8"))
    code, out, _ = cli(
        capsys, "a/hr-employees.yaml", "b/kb-rest.yaml", "./a/hr-employees.yaml", "a/../a/hr-employees.yaml"
    )
    assert (code, out) == (0, "2 files checked: no problems\n")


def test_files_and_folders_mixed_with_cross_file_rules(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "x/hr-employees.yaml", HR)
    write(work, "y/hr-employees.yaml", HR)
    code, out, _ = cli(capsys, "--format", "json", "x", "y/hr-employees.yaml")
    report = json.loads(out)
    assert code == 1
    assert [(d["file"], d["code"], d["line"]) for d in report["diagnostics"]] == [("y/hr-employees.yaml", "GS102", 6)]


def test_paths_outside_the_working_directory_are_shown_as_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "elsewhere/hr-employees.yaml", HR.replace("location: global", "location: mars"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    code, out, _ = cli(capsys, "--format", "json", "../elsewhere")
    assert code == 1
    assert json.loads(out)["diagnostics"][0]["file"] == "../elsewhere/hr-employees.yaml"


# --- entry points, formats, did-you-mean -------------------------------------------------------------------------


def test_console_script_and_script_give_identical_output(work: Path) -> None:
    if not CONSOLE.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    write(work, "hr-employees.yaml", HR.replace("    query: >", "    quey: >"))
    a = run_process([str(CONSOLE), "validate", "--no-cache", "hr-employees.yaml"], work)
    b = run_process([sys.executable, str(SCRIPT), "--no-cache", "hr-employees.yaml"], work)
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)
    assert a.returncode == 1
    assert "hr-employees.yaml:13:5: error[GS050] unknown field 'quey' in spec.source" in a.stdout
    assert "   = help: did you mean 'query'?" in a.stdout


def test_github_format_is_automatic_under_github_actions(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(work, "hr-employees.yaml", HR.replace("location: global", "location: mars"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = cli(capsys, "hr-employees.yaml")
    assert out.startswith("::error file=hr-employees.yaml,line=32,col=15,")
    _, out, _ = cli(capsys, "--format", "json", "hr-employees.yaml")
    assert json.loads(out)["diagnostics"][0]["code"] == "GS053"
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    _, out, _ = cli(capsys, "hr-employees.yaml")
    assert out.startswith("hr-employees.yaml:32:15: error[GS053]")


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_every_format_from_the_command_line(fmt: str, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(work, "hr-employees.yaml", HR.replace("location: global", "location: mars"))
    code, out, err = cli(capsys, "--format", fmt, "hr-employees.yaml")
    assert code == 1
    assert err == ""
    assert "GS053" in out


def test_example_connectors_validate_clean() -> None:
    result = validate_paths([str(REPO / "connectors")], use_cache=False)
    assert len(result.files) >= 3
    assert result.diagnostics == ()
    assert result.exit_code(strict=True) == 0


# --- the cache ---------------------------------------------------------------------------------------------------


@pytest.fixture
def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths given to check_file, which the linter calls for every file the cache cannot answer."""
    calls: list[str] = []
    real: Callable[..., Any] = checker.check_file

    def counting(raw: bytes, path: str, **kwargs: Any) -> Any:
        calls.append(path)
        return real(raw, path, **kwargs)

    monkeypatch.setattr(checker, "check_file", counting)
    return calls


def test_second_run_is_identical_and_checks_nothing(
    work: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str], count_checks: list[str]
) -> None:
    write(work, "a/hr-employees.yaml", HR)
    write(work, "b/hr-employees.yaml", STAR.replace("location: global", "location: mars"))
    write(work, "c/hr-employees.yaml", HR)
    first = cli(capsys, "a", "b", "c")
    assert sorted(count_checks) == ["a/hr-employees.yaml", "b/hr-employees.yaml", "c/hr-employees.yaml"]
    assert "GS102" in first[1], "the cross-file rule ran"
    assert list(cache_dir.glob("lint-*.json")), "the cache was written where GEMINI_SYNC_CACHE_DIR says"
    count_checks.clear()
    second = cli(capsys, "a", "b", "c")
    assert count_checks == []
    assert second == first, "cached diagnostics, snippets and the cross-file rule give the same output"
    assert not (work.parent / "home" / ".cache").exists()


def test_a_changed_file_is_checked_again(
    work: Path, capsys: pytest.CaptureFixture[str], count_checks: list[str]
) -> None:
    write(work, "a/hr-employees.yaml", HR)
    target = write(work, "b/kb-rest.yaml", (REPO / "connectors" / "kb-rest.yaml").read_text(encoding="utf-8"))
    assert cli(capsys, "a", "b")[0] == 0
    count_checks.clear()
    target.write_text(target.read_text(encoding="utf-8").replace("location: eu", "location: mars"), encoding="utf-8")
    code, out, _ = cli(capsys, "a", "b")
    assert count_checks == ["b/kb-rest.yaml"]
    assert code == 1
    assert "b/kb-rest.yaml:35:15: error[GS053]" in out


def test_no_cache_checks_every_time(
    work: Path, capsys: pytest.CaptureFixture[str], count_checks: list[str], cache_dir: Path
) -> None:
    write(work, "hr-employees.yaml", HR)
    cli(capsys, "--no-cache", "hr-employees.yaml")
    cli(capsys, "--no-cache", "hr-employees.yaml")
    assert count_checks == ["hr-employees.yaml", "hr-employees.yaml"]
    assert not cache_dir.exists()


def test_a_damaged_cache_is_ignored_and_replaced(
    work: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str], count_checks: list[str]
) -> None:
    write(work, "hr-employees.yaml", HR.replace("location: global", "location: mars"))
    first = cli(capsys, "hr-employees.yaml")
    (cache_file,) = cache_dir.glob("lint-*.json")
    for damage in (b"{not json", b"[1, 2]", b'{"x": 1}', cache_file.read_bytes().replace(b'"line"', b'"lime"')):
        cache_file.write_bytes(damage)
        count_checks.clear()
        assert cli(capsys, "hr-employees.yaml") == first
    assert count_checks == ["hr-employees.yaml"], "the damaged entry was checked again"


def test_unwritable_cache_only_costs_speed(
    work: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("GEMINI_SYNC_CACHE_DIR", str(blocker / "cache"))
    write(work, "hr-employees.yaml", HR)
    assert cli(capsys, "hr-employees.yaml") == (0, "1 file checked: no problems\n", "")


def test_many_files_in_parallel_match_one_process(work: Path) -> None:
    """Above PARALLEL_THRESHOLD files are checked in worker processes; the answer must not change."""
    for i in range(PARALLEL_THRESHOLD + 10):
        text = HR.replace("hr-employees", f"c{i:03d}")
        if i % 50 == 0:
            text = text.replace("location: global", "location: mars")
        write(work, f"many/c{i:03d}.yaml", text)
    write(work, "many/dup/c000.yaml", HR.replace("hr-employees", "c001"))
    parallel = validate_paths(["many"], use_cache=False, jobs=2)
    serial = validate_paths(["many"], use_cache=False, jobs=1)
    assert parallel == serial
    codes = [(d.file, d.code) for d in serial.diagnostics]
    assert ("many/c050.yaml", "GS053") in codes
    assert ("many/dup/c000.yaml", "GS101") in codes
    assert len(serial.files) == PARALLEL_THRESHOLD + 11


def test_script_runs_without_installation(work: Path) -> None:
    """The script puts its checkout on sys.path: with `-S` the editable install (a .pth file) is not loaded, and
    only the dependencies are importable (PYTHONPATH), yet the script runs."""
    site_packages = sysconfig.get_paths()["purelib"]
    probe = run_process([sys.executable, "-S", "-c", "import compiler"], work, PYTHONPATH=site_packages)
    assert probe.returncode != 0, "compiler must not be importable without the script's help"
    write(work, "hr-employees.yaml", HR)
    proc = run_process([sys.executable, "-S", str(SCRIPT), "hr-employees.yaml"], work, PYTHONPATH=site_packages)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1 file checked: no problems\n"


def test_a_reader_that_stops_early_is_not_a_traceback(work: Path) -> None:
    """`compiler validate | head -1`: the pipe closes before the report is written."""
    write(work, "hr-employees.yaml", HR.replace("location: global", "location: mars"))
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "hr-employees.yaml"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # nobody reads: every write gets EPIPE
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert "Exception ignored" not in err, err
    assert proc.returncode == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_an_io_error_with_a_message(work: Path) -> None:
    write(work, "hr-employees.yaml", HR)
    with open("/dev/full", "w", encoding="utf-8") as full:
        proc = subprocess.run(
            [sys.executable, str(SCRIPT), "hr-employees.yaml"],
            cwd=work,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr == "error: cannot write the report: No space left on device\n"


def test_an_empty_folder_checks_nothing_and_passes(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "empty").mkdir()
    assert cli(capsys, "empty") == (0, "0 files checked: no problems\n", "")
