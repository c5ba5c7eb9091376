"""Canary passwords in every credential position of a DSN never reach the output of `runtime exec`, with or without
`--json`: run through the real CLI against the real PostgreSQL and MariaDB servers, each failing on purpose.

The canary is checked in every form a message could carry it: raw, percent-encoded, and each piece around an
`@` (an unencoded `@` used to leak the password's tail as a host name).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import pytest

from compiler.plan import dumps
from runtime.errors import SourceError
from runtime.extract.postgres import PostgresExtractor
from runtime.extract.urls import parse_target
from tests.runtime.extract.extract_helpers import make_source
from tests.runtime.planbuilder import make_plan

ROOT = Path(__file__).resolve().parents[2]


def _canary() -> str:
    return f"Canary-{uuid.uuid4().hex[:8]}-Pw"


def _forms(secret: str) -> set[str]:
    pieces = {secret, *secret.split("@")}
    return {f for p in pieces for f in (p, quote(p, safe=""), quote_plus(p)) if len(f) >= 4}


def _server(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def _run(tmp_path: Path, provider: str, driver: str, secret: str, *flags: str) -> subprocess.CompletedProcess[str]:
    plan = make_plan((tmp_path / "out").as_uri(), provider=provider, driver=driver)  # type: ignore[arg-type]
    path = tmp_path / "plan.json"
    path.write_bytes(dumps(plan))
    env = {**os.environ, "SECRET_DOCS_DB": secret, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "runtime", "exec", str(path), "--state-dir", str(tmp_path / "state"), *flags],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def _assert_clean(result: subprocess.CompletedProcess[str], secrets: list[str]) -> str:
    """The run failed in one line, and no form of any canary is anywhere in its output (nor in its JSON report)."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    output = result.stdout + result.stderr
    for secret in secrets:
        for form in _forms(secret):
            assert form not in output, f"{form!r} leaked: {output}"
    if result.stdout:
        report = json.loads(result.stdout)
        assert report["status"] == "failed"
        assert report["error"] == lines[0].removeprefix("runtime: error: ")
    return lines[0]


# Each case: (server fixture, provider, driver, build(server url, canary, tmp path) -> (secret, [canaries]), and
# a fragment the message must still show so that the reader can fix it).
Case = Callable[[str, str, Path], tuple[str, list[str]]]


def _pg_userinfo(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    return f"postgresql://postgres:{quote(canary)}@{_server(url)}/gs_no_such_db", [canary]


def _pg_query_password(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    return f"postgresql://postgres@{_server(url)}/gs_no_such_db?password={canary}", [canary]


def _pg_sslpassword(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    return f"postgresql://postgres@{_server(url)}/gs_no_such_db?sslmode=disable&sslpassword={canary}", [canary]


def _pg_passfile(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    inside = _canary()
    passfile = tmp / f"pgpass-{canary}"
    passfile.write_text(f"*:*:*:*:{inside}\n")
    passfile.chmod(0o600)
    return f"postgresql://postgres@{_server(url)}/gs_no_such_db?passfile={passfile}", [canary, inside]


def _pg_unencoded_at(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    head, tail = canary.split("-", 1)
    return f"postgresql://postgres:{head}@{tail}@{_server(url)}/test", [f"{head}@{tail}"]


def _pg_odbc_style_pwd_in_query(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    # libpq refuses the unknown keyword; the message must not echo the credential it carried.
    return f"postgresql://postgres@{_server(url)}/test?PWD={canary}", [canary]


def _my_userinfo(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    return f"mysql://root:{quote(canary)}@{_server(url)}/test", [canary]


def _my_query_password(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    return f"mariadb://root@{_server(url)}/gs_no_such_db?password={canary}", [canary]


def _my_unencoded_at(url: str, canary: str, tmp: Path) -> tuple[str, list[str]]:
    head, tail = canary.split("-", 1)
    return f"mariadb://root:{head}@{tail}@{_server(url)}/test", [f"{head}@{tail}"]


PG_CASES: dict[str, tuple[Case, str]] = {
    "userinfo": (_pg_userinfo, "gs_no_such_db"),
    "query-password": (_pg_query_password, "password=***"),
    "query-sslpassword": (_pg_sslpassword, "sslpassword=***"),
    "query-passfile": (_pg_passfile, "passfile=***"),
    "unencoded-at": (_pg_unencoded_at, "unencoded '@'"),
    "pwd-keyword": (_pg_odbc_style_pwd_in_query, "PWD=***"),
}
MY_CASES: dict[str, tuple[Case, str]] = {
    "userinfo": (_my_userinfo, "Access denied"),
    "query-password": (_my_query_password, "password=***"),
    "unencoded-at": (_my_unencoded_at, "unencoded '@'"),
}


@pytest.mark.postgres
@pytest.mark.parametrize("form", sorted(PG_CASES))
def test_postgres_dsn_credentials_never_printed(tmp_path: Path, pg_url: str, form: str) -> None:
    """One `--json` run checks both outputs: the error line on stderr (as without --json) and the JSON report."""
    build, shown = PG_CASES[form]
    secret, canaries = build(pg_url, _canary(), tmp_path)
    line = _assert_clean(_run(tmp_path, "postgres", "postgresql+psycopg", secret, "--json"), canaries)
    assert shown in line
    assert "SECRET_DOCS_DB" in line


@pytest.mark.mysql
@pytest.mark.parametrize("form", sorted(MY_CASES))
def test_mariadb_dsn_credentials_never_printed(tmp_path: Path, mysql_url: str, form: str) -> None:
    build, shown = MY_CASES[form]
    secret, canaries = build(mysql_url, _canary(), tmp_path)
    line = _assert_clean(_run(tmp_path, "mysql", "mysql+pymysql", secret, "--json"), canaries)
    assert shown in line


@pytest.mark.postgres
def test_text_output_is_clean_too(tmp_path: Path, pg_url: str) -> None:
    secret, canaries = _pg_query_password(pg_url, _canary(), tmp_path)
    result = _run(tmp_path, "postgres", "postgresql+psycopg", secret)
    assert result.stdout == ""
    assert "password=***" in _assert_clean(result, canaries)


@pytest.mark.postgres
def test_the_drivers_own_error_text_is_scrubbed(pg_url: str) -> None:
    """Below the '@' refusal: when the driver itself prints a piece of the password (here libpq resolving a host
    named after the password's tail), the message still shows none of it."""
    canary = _canary()
    head, tail = canary.split("-", 1)
    good = parse_target(make_source("postgres"), pg_url)
    raw = f"postgresql://postgres:{head}@{tail}@{_server(pg_url)}/test"
    forced = type(good)(
        provider="postgres",
        url=good.url.set(password=head, host=f"{tail}@{good.url.host}"),
        secret_label=good.secret_label,
        secret=raw,
    )
    with pytest.raises(SourceError) as caught:
        PostgresExtractor(forced, 100)
    message = str(caught.value)
    assert "cannot connect" in message
    for form in _forms(f"{head}@{tail}"):
        assert form not in message
