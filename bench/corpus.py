"""Generated connector files for the linter and compiler benchmarks (valid, and varied so that no cache inside
the tools sees the same SQL or template twice)."""

from __future__ import annotations

from compiler.plan.providers import PROVIDERS as TABLE

PROVIDERS = tuple(TABLE)


def _sql_source(index: int) -> tuple[str, str]:
    provider = PROVIDERS[index % len(PROVIDERS)]
    incremental = index % 2 == 0
    where = f"WHERE updated_at >= :watermark AND dept <> 'x{index}'" if incremental else f"WHERE dept <> 'x{index}'"
    source = (
        f'  schedule: "{index % 60} */3 * * *"\n  source:\n    type: {provider}\n    secretRef: db-{index}\n'
        f"    query: >\n      SELECT id_{index} AS id, title, body, dept, acl_users, updated_at\n"
        f"      FROM table_{index} {where}\n    watermarkField: updated_at\n"
    )
    return source, "soft_delete_only" if incremental else "auto_delete_missing"


def connector(index: int) -> str:
    """A valid connector, varied so that no cache inside the compiler sees the same SQL or template twice."""
    name = f"conn-{index:05d}"
    mode = ("sql_pull", "rest_pull", "rest_push")[index % 3]
    head = f"apiVersion: sync.gemini.io/v1alpha1\nkind: Connector\nmetadata:\n  name: {name}\nspec:\n  mode: {mode}\n"
    if mode == "sql_pull":
        source, policy = _sql_source(index)
    elif mode == "rest_pull":
        source = (
            f'  schedule: "*/{index % 50 + 5} * * * *"\n  source:\n    type: http\n    secretRef: api-{index}\n'
            f"    url: https://api{index}.example.com/items\n    paginationCursorField: cursor\n"
            f"    paginationNextCursorJsonPath: paging.next\n    headers:\n      Accept: application/json\n"
        )
        policy = "never_delete"
    else:
        source, policy = f"  source:\n    type: http\n    secretRef: push-{index}\n", "never_delete"
    mapping = (
        "  mapping:\n    idField: id\n    titleField: title\n"
        f'    contentTemplate: "{{{{ title }}}} {index} {{{{ body }}}}"\n'
        f'    uriTemplate: "https://x{index}.example.com/{{{{ id }}}}"\n    aclUsersField: acl_users\n'
        "    metadataFields: [dept]\n"
    )
    tail = (
        f"  output:\n    bucket: gs://bucket-{index}\n    prefix: {name}\n  gemini:\n    projectId: project-{index}\n"
        f"    location: global\n    dataStoreId: ds-{index}\n  reconciliation:\n    deletePolicy: {policy}\n"
    )
    return head + source + mapping + tail
