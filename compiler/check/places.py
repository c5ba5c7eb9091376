"""Where a connector's runs write, as cross-file facts: its artifact folder and its data store.

The artifact folder is the bucket joined with the prefix (default: metadata.name), exactly as the plan's
`base_uri`; `file://` paths are normalised (`file://./out` and `file://out/` are one folder).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from compiler.check.facts import PlaceFact
from compiler.load import Positions

FILE_SCHEME = "file://"


def _folder(bucket: str, prefix: str) -> str:
    if bucket.startswith(FILE_SCHEME):
        return FILE_SCHEME + posixpath.normpath(posixpath.join(bucket[len(FILE_SCHEME) :], prefix))
    return f"{bucket.rstrip('/')}/{prefix}"


def output_place(data: Mapping[str, Any], positions: Positions) -> PlaceFact:
    output = data["spec"]["output"]
    prefix = output.get("prefix") or data["metadata"]["name"]
    pointer = "/spec/output/prefix" if output.get("prefix") else "/spec/output/bucket"
    folder = _folder(str(output["bucket"]), str(prefix))
    return PlaceFact(folder, pointer, positions.of_value(pointer))


def data_store_place(data: Mapping[str, Any], positions: Positions) -> PlaceFact | None:
    """The data store a connector feeds; None when it imports nothing (ingestion disabled, no `gemini`)."""
    gemini = data["spec"].get("gemini")
    if gemini is None or (data["spec"].get("ingestion") or {}).get("enabled") is False:
        return None
    project, location, store = str(gemini["projectId"]), str(gemini["location"]), str(gemini["dataStoreId"])
    shown = f"projects/{project}/locations/{location}/dataStores/{store}"
    pointer = "/spec/gemini/dataStoreId"
    return PlaceFact(shown, pointer, positions.of_value(pointer))
