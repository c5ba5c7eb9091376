"""What a run produced, read back from its published run folder as a consumer would, in the case files' shape.

A Discovery Engine document (`{"id", "structData", "aclInfo", "content"}`) becomes
`{id, title, content, uri, mimeType, aclUsers, aclGroups, metadata}`: the shape a case author writes, with the
content decoded to text. Empty ACL lists and metadata are left out, so an exact expectation lists what is there.
A document whose soft-delete flag is set is a soft delete, not an upsert.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.plan import Plan

BINARY_PREFIX = "base64:"
"""Content that is not UTF-8 text is shown as `base64:<bytes>`."""


@dataclass(slots=True)
class Actual:
    upserted: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    soft_deleted: list[str] = field(default_factory=list)
    watermark: Any = None
    failure: str | None = None


def readable(document: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """One published document in the case files' shape."""
    struct = dict(document.get("structData") or {})
    flags = (plan.reconciliation.soft_delete_flag_field, plan.reconciliation.soft_delete_time_field)
    for name in flags:
        struct.pop(name, None)
    out: dict[str, Any] = {"id": document["id"]}
    if "title" in struct and plan.mapping.title_field:
        out["title"] = struct.pop("title")
    content = document.get("content") or {}
    if "rawBytes" in content:
        out["content"] = _text(content["rawBytes"])
    elif "uri" in content:
        out["content"] = content["uri"]
    if "uri" in struct and plan.mapping.uri:
        out["uri"] = struct.pop("uri")
    if "mimeType" in content:
        out["mimeType"] = content["mimeType"]
    users, groups = [], []
    for reader in (document.get("aclInfo") or {}).get("readers", []):
        for principal in reader.get("principals", []):
            if "userId" in principal:
                users.append(principal["userId"])
            if "groupId" in principal:
                groups.append(principal["groupId"])
    if users:
        out["aclUsers"] = users
    if groups:
        out["aclGroups"] = groups
    if struct:
        out["metadata"] = struct
    return out


def _text(raw: str) -> str:
    try:
        data = base64.b64decode(raw, validate=True)
    except binascii.Error:
        return BINARY_PREFIX + raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY_PREFIX + raw


def read_run(folder: Path, plan: Plan) -> Actual:
    """The upserts, deletes and soft deletes of one published run folder."""
    actual = Actual()
    flag = plan.reconciliation.soft_delete_flag_field
    for line in _lines(folder / "upserts.ndjson"):
        document = json.loads(line)
        if (document.get("structData") or {}).get(flag) is True:
            actual.soft_deleted.append(document["id"])
        else:
            actual.upserted[document["id"]] = readable(document, plan)
    actual.deleted = [json.loads(line)["id"] for line in _lines(folder / "deletes.ndjson")]
    return actual


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
