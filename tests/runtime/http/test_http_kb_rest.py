"""connectors/kb-rest.yaml, compiled by `compiler build` and synced by `runtime exec`, end to end.

The connector keeps its real URL (`https://kb.example.com/api/articles`): the standard `HTTPS_PROXY` and
`SSL_CERT_FILE` variables route it, through a CONNECT tunnel, to a local TLS server whose certificate for
kb.example.com comes from a test CA. Only the artifact bucket changes (`gs://` delivery is not in this runtime
yet). Three runs: the first reads everything, the second only what changed since the checkpoint, the third meets
a failing API and changes nothing.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.runtime.http.api_server import ApiServer, PagedApi, Reply, Seen
from tests.runtime.http.tunnel import TunnelProxy

ROOT = Path(__file__).resolve().parents[3]
CONNECTOR = ROOT / "connectors" / "kb-rest.yaml"
TOKEN = "kb-token-canary-51c2"


def article(i: int, version: int = 0) -> dict[str, Any]:
    return {
        "id": f"kb-{i}",
        "title": f"How to {i}",
        "body": f"Steps for {i}" + (f" (rev {version})" if version else ""),
        "visible_to_groups": ["support", "eng"] if i % 2 else "support",
        "category": "howto" if i % 3 else "faq",
        "author": f"writer{i % 4}",
        "updated_at": f"2024-0{1 + version}-01T10:00:{i:02d}Z",
    }


@pytest.fixture
def kb_api(tmp_path: Path) -> Iterator[tuple[ApiServer, PagedApi, TunnelProxy, Path]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("kb.example.com").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with ApiServer(tls=context) as server, TunnelProxy(server.port) as proxy:
        paged = PagedApi(server, "/api/articles", "cursor", [article(i) for i in range(1, 26)], page_size=10)
        yield server, paged, proxy, ca_file


def workspace(tmp_path: Path) -> Path:
    """A checkout holding kb-rest.yaml as it is, but for the artifact bucket."""
    text = CONNECTOR.read_text()
    changed = text.replace("bucket: gs://example-sync-artifacts", f"bucket: {(tmp_path / 'bucket').as_uri()}")
    assert sum(a != b for a, b in zip(text.splitlines(), changed.splitlines(), strict=True)) == 1
    (tmp_path / "connectors").mkdir()
    (tmp_path / "connectors" / "kb-rest.yaml").write_text(changed)
    return tmp_path


def tool(name: str, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", name, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def test_kb_rest_compiles_and_syncs_end_to_end(
    tmp_path: Path, kb_api: tuple[ApiServer, PagedApi, TunnelProxy, Path]
) -> None:
    server, paged, proxy, ca_file = kb_api
    root = workspace(tmp_path)
    env = {k: v for k, v in os.environ.items() if k.upper() not in ("NO_PROXY", "HTTP_PROXY", "ALL_PROXY")}
    env |= {
        "HTTPS_PROXY": proxy.url,
        "SSL_CERT_FILE": str(ca_file),
        "SECRET_KB_API_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT),
    }

    built = tool("compiler", "build", "connectors", "--out", "plans", cwd=root, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    plan = root / "plans" / "kb-rest.plan.json"
    exec_args = ("exec", str(plan), "--state-dir", "state", "--source-root", str(root), "--json")

    first = tool("runtime", *exec_args, cwd=root, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # --json: the report on stdout, no progress line, nothing else
    report = json.loads(first.stdout)
    assert (report["extraction"], report["counts"]["new"], report["counts"]["snapshot"]) == ("incremental", 25, False)
    assert report["watermarkAfter"]["value"] == "2024-01-01T10:00:25Z"
    assert set(proxy.connects) == {"kb.example.com:443"}
    pages = server.requests("/api/articles")
    assert [seen.query.get("cursor") for seen in pages] == [None, "10", "20"]
    assert all(seen.headers["authorization"] == f"Bearer {TOKEN}" for seen in pages)
    assert all(seen.headers["host"] == "kb.example.com" for seen in pages)
    assert "updated_since" not in pages[0].query  # no checkpoint yet: read everything once
    upserts = root / "bucket" / "kb-rest" / "runs" / report["runId"] / "upserts.ndjson"
    docs = {d["id"]: d for d in map(json.loads, upserts.read_text().splitlines())}
    assert (docs["kb-3"]["structData"]["category"], docs["kb-3"]["structData"]["author"]) == ("faq", "writer3")
    assert docs["kb-3"]["structData"]["uri"] == "https://kb.example.com/articles/kb-3"
    assert docs["kb-3"]["aclInfo"]["readers"][0]["principals"] == [{"groupId": "support"}, {"groupId": "eng"}]
    assert docs["kb-4"]["aclInfo"]["readers"][0]["principals"] == [{"groupId": "support"}]  # a plain string

    paged.items[4] = article(5, version=1)
    paged.items.append(article(26, version=1))
    second = tool("runtime", *exec_args, cwd=root, env=env)
    assert second.returncode == 0, second.stderr
    counts = json.loads(second.stdout)["counts"]
    # the two changes, and kb-25 at the checkpoint itself: the boundary is inclusive, the diff sees it unchanged
    assert (counts["extracted"], counts["new"], counts["changed"], counts["unchanged"]) == (3, 1, 1, 1)
    assert (counts["deleted"], counts["softDeleted"]) == (0, 0)
    assert server.requests("/api/articles")[-1].query["updated_since"] == "2024-01-01T10:00:25Z"

    def down(seen: Seen) -> Reply:
        return Reply(502, b"bad gateway", {"Retry-After": "0"})

    server.routes["/api/articles"] = down
    state = (root / "state" / "kb-rest.duckdb").read_bytes()
    third = tool("runtime", *exec_args[:-1], cwd=root, env=env)
    assert third.returncode == 1
    (line,) = third.stderr.strip().splitlines()
    assert line.startswith(
        "runtime: error: page 1 (GET https://kb.example.com/api/articles?updated_since=2024-02-01T10"
    )
    assert "HTTP 502 Bad Gateway, still after 5 attempts; nothing was changed" in line
    assert TOKEN not in third.stderr + third.stdout
    assert (root / "state" / "kb-rest.duckdb").read_bytes() == state
