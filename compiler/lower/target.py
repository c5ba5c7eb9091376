"""Target pass: the Discovery Engine data store, its resource paths and the API host for its location."""

from __future__ import annotations

from compiler.lower.draft import Draft
from compiler.plan import Target

ENDPOINTS: dict[str, str] = {
    "global": "discoveryengine.googleapis.com",
    "us": "us-discoveryengine.googleapis.com",
    "eu": "eu-discoveryengine.googleapis.com",
}
"""Location -> API host (no scheme; the API lives under `https://{host}/v1/`)."""

COLLECTION = "default_collection"
BRANCH = "default_branch"


def lower_target(draft: Draft) -> Draft:
    """The target, and whether to import into it (`spec.ingestion.enabled`, default true). The schema requires
    `spec.gemini` unless ingestion is disabled; without it the plan has no target."""
    enabled = (draft.spec.get("ingestion") or {}).get("enabled", True) is not False
    gemini = draft.spec.get("gemini")
    if gemini is None:
        return draft.replace(target=None, ingestion_enabled=enabled)
    project, location, store = str(gemini["projectId"]), gemini["location"], str(gemini["dataStoreId"])
    data_store = f"projects/{project}/locations/{location}/collections/{COLLECTION}/dataStores/{store}"
    return draft.replace(
        target=Target(
            project_id=project,
            location=location,
            data_store_id=store,
            endpoint=ENDPOINTS[location],
            data_store=data_store,
            branch=f"{data_store}/branches/{BRANCH}",
        ),
        ingestion_enabled=enabled,
    )
