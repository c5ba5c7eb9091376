"""The standard proxy and CA environment variables apply to rest_pull (httpx reads them with trust_env), proven
against a real forward proxy stand-in and a TLS server whose certificate comes from a test CA (trustme)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from runtime.errors import SourceError
from tests.runtime.http.api_server import ApiServer, Reply
from tests.runtime.http.httpplans import http_plan, http_source, pull


def test_http_proxy_is_honoured(api: ApiServer, out: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api.routes["/articles"] = lambda seen: Reply(body=[{"id": "via-proxy"}])
    monkeypatch.setenv("HTTP_PROXY", api.url(""))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = pull(http_plan(out, http_source("http://kb.example.invalid/articles?x=1")))
    assert result.records == [{"id": "via-proxy"}]
    (seen,) = api.requests("/articles")
    assert seen.target == "http://kb.example.invalid/articles?x=1"  # absolute form: the request went to the proxy


def test_no_proxy_bypasses_the_proxy(
    api: ApiServer, other_host: ApiServer, out: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_host.routes["/articles"] = lambda seen: Reply(body=[{"id": "direct"}])
    monkeypatch.setenv("HTTP_PROXY", api.url(""))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert pull(http_plan(out, http_source(other_host.url("/articles")))).records == [{"id": "direct"}]
    assert api.requests() == []


@pytest.fixture
def tls_api(tmp_path: Path) -> Iterator[tuple[ApiServer, Path]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with ApiServer(tls=context) as server:
        server.routes["/articles"] = lambda seen: Reply(body=[{"id": "tls"}])
        yield server, ca_file


def test_ssl_cert_file_is_honoured(tls_api: tuple[ApiServer, Path], out: str, monkeypatch: pytest.MonkeyPatch) -> None:
    server, ca_file = tls_api
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert pull(http_plan(out, http_source(server.url("/articles")))).records == [{"id": "tls"}]


def test_an_unknown_ca_fails_the_run_naming_the_page(tls_api: tuple[ApiServer, Path], out: str) -> None:
    server, _ca_file = tls_api  # SSL_CERT_FILE keeps the machine's bundle, which does not know the test CA
    with pytest.raises(
        SourceError,
        match=r"page 1 \(GET https://127\.0\.0\.1:\d+/articles\): the request failed \(ConnectError: "
        r".*CERTIFICATE_VERIFY_FAILED.*\) after 1 attempt;",  # a certificate that fails is never retried
    ):
        pull(http_plan(out, http_source(server.url("/articles"))))
