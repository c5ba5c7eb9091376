"""`--debug` on both command lines: an unexpected error (a bug) is one line without it, its traceback with it,
and the runtime's traceback still masks secret values."""

from __future__ import annotations

import argparse

import pytest

import runtime.cli
from compiler import cli as compiler_cli
from compiler.commands import show


def _boom(args: argparse.Namespace) -> int:
    raise RuntimeError("unexpected state")


def test_compiler_bug_is_one_line_without_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(show, "run", _boom)
    assert compiler_cli.main(["show", "x.plan.json"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "compiler: internal error: RuntimeError: unexpected state "
        "(this is a bug; please report it; --debug shows the traceback)\n"
    )


def test_compiler_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(show, "run", _boom)
    assert compiler_cli.main(["show", "x.plan.json", "--debug"]) == 1
    assert capsys.readouterr().err.startswith("Traceback (most recent call last):")
    assert compiler_cli.main(["--debug", "show", "x.plan.json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert 'in _boom\n    raise RuntimeError("unexpected state")' in err
    assert err.endswith("RuntimeError: unexpected state\n")


def _leak(args: argparse.Namespace) -> int:
    raise RuntimeError("connect failed for postgresql://u:hunter2-secret@db/x")


def test_runtime_bug_is_one_line_without_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runtime.cli, "_exec", _boom)
    assert runtime.cli.main(["exec", "plan.json"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "runtime: internal error: RuntimeError: unexpected state" in err
    assert "--debug shows the traceback" in err


def test_runtime_debug_shows_the_traceback_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECRET_HR_DB", "postgresql://u:hunter2-secret@db/x")
    monkeypatch.setattr(runtime.cli, "_exec", _leak)
    assert runtime.cli.main(["--debug", "exec", "plan.json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in _leak" in err
    assert "hunter2-secret" not in err
    assert "***" in err
