"""`runtime test --update`: write each run's actual results into its `expect`, keeping the file's comments.

The case is edited through ruamel.yaml's round trip: documents that are still produced keep their place, their
comments and (with `fields: subset`) their chosen fields; new documents are appended in id order; keys a run
does not produce are dropped only where they would now be wrong.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runtime.harness.case import DOCUMENT_KEYS, yaml_round_trip
from runtime.harness.documents import Actual
from runtime.harness.runner import CaseResult


def id_order(doc_id: str) -> tuple[int, int | str]:
    """Numeric ids in numeric order, then the others."""
    return (0, int(doc_id)) if doc_id.isdigit() else (1, doc_id)


def _seq(values: list[Any], flow: bool) -> CommentedSeq:
    seq = CommentedSeq(values)
    if flow:
        seq.fa.set_flow_style()
    return seq


def _document(doc: dict[str, Any]) -> CommentedMap:
    node = CommentedMap()
    for key, value in doc.items():
        if isinstance(value, list):
            node[key] = _seq(value, flow=True)
        elif isinstance(value, dict):
            inner = CommentedMap(value)
            inner.fa.set_flow_style()
            node[key] = inner
        else:
            node[key] = value
    return node


def _update_documents(node: CommentedMap, actual: Actual, subset: bool) -> None:
    current = node.get("upserted")
    kept = CommentedSeq()
    seen: set[str] = set()
    if isinstance(current, CommentedSeq):
        for item in current:
            doc_id = str(item.get("id")) if isinstance(item, CommentedMap) else None
            if doc_id is None or doc_id not in actual.upserted:
                continue
            fresh = actual.upserted[doc_id]
            for key in [k for k in item if k != "id"]:
                if key not in fresh:
                    del item[key]
            for key, value in fresh.items():
                if key != "id" and (not subset or key in item):
                    item[key] = _document({key: value})[key]
            kept.append(item)
            seen.add(doc_id)
    for doc_id in sorted(actual.upserted.keys() - seen, key=id_order):
        kept.append(_document(actual.upserted[doc_id]))
    node["upserted"] = kept


def update_expect(node: CommentedMap, actual: Actual, has_watermark: bool) -> None:
    if actual.failure is not None:
        for key in (*DOCUMENT_KEYS, "fields"):
            node.pop(key, None)
        node["failure"] = actual.failure
        return
    node.pop("failure", None)
    _update_documents(node, actual, subset=node.get("fields") == "subset")
    for key, ids in (("deleted", actual.deleted), ("softDeleted", actual.soft_deleted)):
        if ids or key in node:
            node[key] = _seq(sorted(ids, key=id_order), flow=True)
    if has_watermark or actual.watermark is not None:
        node["watermark"] = actual.watermark


def write_updates(result: CaseResult) -> bool:
    """Rewrite the case file with the actual results; False when the case could not run (nothing to write)."""
    if result.error is not None:
        return False
    for run in result.runs:
        if run.run.expect.node is not None:
            update_expect(run.run.expect.node, run.actual, run.run.expect.has_watermark)
    path = result.case.path
    yaml = yaml_round_trip()
    yaml.explicit_start = _explicit_start(path.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(result.case.document, out)
    return True


def _explicit_start(text: str) -> bool:
    """Whether the document starts with `---` after its leading comments (ruamel does not keep it)."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip().startswith("---")
    return False
