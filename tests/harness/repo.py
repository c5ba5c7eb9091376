"""A connector repository in a temporary folder: connectors/ and tests/connectors/, as a user's looks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONNECTOR = """\
apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata:
  name: {name}
spec:
  mode: sql_pull
  schedule: "0 * * * *"
  source:
    type: {provider}
    secretRef: {name}-db
    query: {query}
{watermark}  mapping:
    idField: id
    titleField: title
    contentTemplate: "{{{{ title }}}}: {{{{ body }}}}"
    uriTemplate: "https://docs.example.com/{{{{ id }}}}"
    aclUsersField: readers
    metadataFields: [team]
  output:
    bucket: gs://example-bucket
    prefix: {name}
  gemini:
    projectId: example-project
    location: global
    dataStoreId: {name}-ds
  reconciliation:
    deletePolicy: {policy}
"""


def write_connector(
    root: Path,
    name: str = "docs",
    provider: str = "postgres",
    query: str = "SELECT id, title, body, readers, team, updated_at FROM docs",
    policy: str = "auto_delete_missing",
    watermark: str | None = None,
) -> Path:
    path = root / "connectors" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = f"    watermarkField: {watermark}\n" if watermark else ""
    path.write_text(CONNECTOR.format(name=name, provider=provider, query=query, policy=policy, watermark=line))
    return path


def write_case(root: Path, text: str, connector: str = "docs", name: str = "case") -> Path:
    path = root / "tests" / "connectors" / connector / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def runtime_test(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`runtime test ...` as a user runs it, in the repository."""
    return subprocess.run(
        [sys.executable, "-m", "runtime", "test", *args], cwd=root, capture_output=True, text=True, check=False
    )


ROW1 = "{id: 1, title: Alpha, body: first, readers: [a@example.com], team: red, updated_at: 2024-01-01 10:00:00}"
ROW2 = "{id: 2, title: Beta, body: second, readers: [b@example.com], team: blue, updated_at: 2024-01-02 10:00:00}"
ROW2_EDITED = (
    "{id: 2, title: Beta, body: edited, readers: [b@example.com], team: blue, updated_at: 2024-01-05 10:00:00}"
)
