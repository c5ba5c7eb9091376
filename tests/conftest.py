"""Shared fixtures: scratch databases on the real PostgreSQL and MariaDB servers of this machine.

Fixtures
--------
`pg_url` / `mysql_url` (session-scoped)
    A connection URL (`postgresql://postgres@127.0.0.1:5432/gs_test_<hex>`,
    `mysql://root@127.0.0.1:3306/gs_test_<hex>`) to a database created for this test session and dropped at
    its end. The URL is the form a connector's secret holds, so it can be fed straight to
    `runtime.extract.open_extractor` or set as `SECRET_<NAME>`.
`pg_conn` / `mysql_conn` (function-scoped)
    An autocommit connection (psycopg 3 / PyMySQL) to that scratch database, for creating and filling tables.
    Tables persist for the session: give them names unique to your test module (or drop them yourself).

`gcs_emulator` (session-scoped) / `gcs_bucket` (function-scoped)
    `gcp-storage-emulator` (from PyPI) in this process on a free port, and a new empty bucket on it per test;
    `gcs_bucket` points STORAGE_EMULATOR_HOST at the emulator for the test, so `runtime.deliver.gcs` and every
    official Google client use it with anonymous credentials.

Server missing: the test is skipped with the reason, unless `CI=true`, where it fails (CI must never pass by
skipping the real-server tests). Override the admin endpoints with `GEMINI_SYNC_TEST_PG_ADMIN_URL` and
`GEMINI_SYNC_TEST_MYSQL_ADMIN_URL` (defaults: the local servers; postgres trust auth, root with no password).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pymysql
import pytest

if TYPE_CHECKING:
    from tests.deliver.emulators import GcsEmulator

# Google Cloud cannot be reached from tests: google-auth must never probe the GCE metadata server (it would when
# a test looks up Application Default Credentials), here or in a `runtime` subprocess. Any probe that still
# happens goes to a closed loopback port. Set before google.auth is imported (it reads these at import time).
os.environ["NO_GCE_CHECK"] = "true"
os.environ["GCE_METADATA_IP"] = "127.0.0.1:9"
os.environ["GCE_METADATA_HOST"] = "127.0.0.1:9"

PG_ADMIN_URL = os.environ.get("GEMINI_SYNC_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("GEMINI_SYNC_TEST_MYSQL_ADMIN_URL", "mysql://root@127.0.0.1:3306/test")


def server_missing(what: str, error: BaseException) -> NoReturn:
    """Skip (locally) or fail (when CI=true) a test whose server is unreachable."""
    message = f"{what} is not reachable: {type(error).__name__}: {error}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: real-server tests must run)", pytrace=False)
    pytest.skip(message)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _scratch_name() -> str:
    return f"gs_test_{uuid.uuid4().hex[:12]}"


# --- PostgreSQL -------------------------------------------------------------------------------------------


def _pg_connect(url: str) -> Any:
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def _pg_scratch() -> Iterator[str]:
    try:
        admin = _pg_connect(PG_ADMIN_URL)
    except Exception as error:  # any connection failure means "server missing"
        server_missing("PostgreSQL at " + urlsplit(PG_ADMIN_URL).netloc.rpartition("@")[2], error)
    name = _scratch_name()
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(PG_ADMIN_URL, name)
    finally:
        with _pg_connect(PG_ADMIN_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url(_pg_scratch: str) -> str:
    """URL of this session's scratch PostgreSQL database (created once, dropped at session end)."""
    return _pg_scratch


@pytest.fixture
def pg_conn(pg_url: str) -> Iterator[Any]:
    """Autocommit psycopg 3 connection to the scratch PostgreSQL database."""
    with _pg_connect(pg_url) as conn:
        yield conn


# --- MariaDB / MySQL --------------------------------------------------------------------------------------


def _mysql_connect(url: str, database: str | None = None) -> Any:
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=database if database is not None else (parts.path.lstrip("/") or None),
        autocommit=True,
        connect_timeout=5,
        charset="utf8mb4",
    )


@pytest.fixture(scope="session")
def _mysql_scratch() -> Iterator[str]:
    try:
        admin = _mysql_connect(MYSQL_ADMIN_URL)
    except Exception as error:  # any connection failure means "server missing"
        server_missing("MariaDB/MySQL at " + urlsplit(MYSQL_ADMIN_URL).netloc.rpartition("@")[2], error)
    name = _scratch_name()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        admin.close()
    try:
        yield _with_database(MYSQL_ADMIN_URL, name)
    finally:
        admin = _mysql_connect(MYSQL_ADMIN_URL)
        try:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            admin.close()


@pytest.fixture(scope="session")
def mysql_url(_mysql_scratch: str) -> str:
    """URL of this session's scratch MariaDB database (created once, dropped at session end)."""
    return _mysql_scratch


@pytest.fixture
def mysql_conn(mysql_url: str) -> Iterator[Any]:
    """Autocommit PyMySQL connection to the scratch MariaDB database."""
    conn = _mysql_connect(mysql_url)
    try:
        yield conn
    finally:
        conn.close()


# --- Cloud Storage (gcp-storage-emulator) ----------------------------------------------------------------


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[GcsEmulator]:
    from tests.deliver.emulators import start_gcs

    emulator = start_gcs()
    try:
        yield emulator
    finally:
        emulator.server.stop()


@pytest.fixture
def gcs_bucket(gcs_emulator: GcsEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket on the emulator; STORAGE_EMULATOR_HOST points at it for this test."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    name = f"test-{uuid.uuid4().hex[:12]}"
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(name)
    return name


# --- Discovery Engine ---------------------------------------------------------------------------------------

_DELIVERY_ENV = {
    "GEMINI_SYNC_DE_POLL_INITIAL": "0.01",
    "GEMINI_SYNC_DE_POLL_MAX": "0.05",
    "GEMINI_SYNC_DE_BACKOFF_INITIAL": "0.01",
    "GEMINI_SYNC_DE_BACKOFF_MAX": "0.1",
}


@pytest.fixture(scope="session", autouse=True)
def discoveryengine_emulator() -> Iterator[str]:
    """`runtime exec` delivers to Discovery Engine whenever a plan's ingestion is enabled, so every test run
    (in this process or a `runtime` subprocess) reaches one local emulator (data stores require content), named
    by DISCOVERYENGINE_EMULATOR_HOST, with fast polling. Yields its `host:port`."""
    from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig

    emulator = BackgroundEmulator(EmulatorConfig(content_required=True)).start()
    env = {"DISCOVERYENGINE_EMULATOR_HOST": emulator.host, **_DELIVERY_ENV}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield emulator.host
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        emulator.stop()
