"""Fixtures for the rest_pull tests: real HTTP servers on 127.0.0.1 started per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.http.api_server import ApiServer


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with ApiServer() as server:
        yield server


@pytest.fixture
def other_host() -> Iterator[ApiServer]:
    """A second server, reached as `localhost` (another host than 127.0.0.1 to a client)."""
    with ApiServer() as server:
        yield server


@pytest.fixture
def out(tmp_path: Path) -> str:
    return (tmp_path / "out").as_uri()


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests talk to 127.0.0.1 only; a proxy set on the machine must not catch their requests."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
