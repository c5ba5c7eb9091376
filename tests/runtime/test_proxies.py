"""Delivery and page requests go to httpx transports directly, so `proxy_for` applies the proxy variables."""

from __future__ import annotations

import pytest

from runtime.proxies import proxy_for


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def test_no_variables_no_proxy() -> None:
    assert proxy_for("https://eu-discoveryengine.googleapis.com") is None


def test_the_scheme_picks_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain.corp:8080")
    assert proxy_for("https://eu-discoveryengine.googleapis.com") == "http://proxy.corp:3128"
    assert proxy_for("http://127.0.0.1:8790") == "http://plain.corp:8080"


def test_all_proxy_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://all.corp:3128")
    assert proxy_for("https://discoveryengine.googleapis.com") == "http://all.corp:3128"


def test_no_proxy_bypasses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", ".googleapis.com,localhost")
    assert proxy_for("https://eu-discoveryengine.googleapis.com") is None
    assert proxy_for("https://example.org") == "http://proxy.corp:3128"
