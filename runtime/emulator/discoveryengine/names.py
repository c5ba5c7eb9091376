"""Resource names in request paths, and the rule that the API host must match the location in the name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from runtime.emulator.discoveryengine.errors import invalid, not_found

ENDPOINTS: dict[str, str] = {
    "global": "discoveryengine.googleapis.com",
    "us": "us-discoveryengine.googleapis.com",
    "eu": "eu-discoveryengine.googleapis.com",
}

_SEGMENT = r"[^/:]+"
_BRANCH = (
    rf"projects/(?P<project>{_SEGMENT})/locations/(?P<location>{_SEGMENT})"
    rf"/collections/(?P<collection>{_SEGMENT})/dataStores/(?P<data_store>{_SEGMENT})/branches/(?P<branch>{_SEGMENT})"
)
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("documents", re.compile(rf"^{_BRANCH}/documents$")),
    ("document", re.compile(rf"^{_BRANCH}/documents/(?P<document>[^/]+)$")),
    ("import", re.compile(rf"^{_BRANCH}/documents:import$")),
    ("purge", re.compile(rf"^{_BRANCH}/documents:purge$")),
    ("operation", re.compile(rf"^{_BRANCH}/operations/(?P<operation>[^/]+)$")),
]

Kind = Literal["documents", "document", "import", "purge", "operation"]


@dataclass(frozen=True, slots=True)
class Resource:
    kind: Kind
    location: str
    data_store: str
    """`projects/p/locations/l/collections/default_collection/dataStores/ds`"""
    branch: str
    """`{data_store}/branches/default_branch`"""
    leaf: str | None
    """The document id or the operation id."""


def parse(path: str) -> Resource | None:
    for kind, pattern in _PATTERNS:
        match = pattern.match(path)
        if match:
            location = match["location"]
            if location not in ENDPOINTS:
                raise invalid(f"location {location!r} is not supported; use one of global, us, eu")
            if match["collection"] != "default_collection":
                raise not_found(f"collection {match['collection']!r} not found; use default_collection")
            if match["branch"] not in ("default_branch", "0"):
                raise not_found(f"branch {match['branch']!r} not found; use default_branch")
            data_store = path[: path.index("/branches/")]
            branch = f"{data_store}/branches/default_branch"
            leaf = match.groupdict().get("document") or match.groupdict().get("operation")
            return Resource(kind=kind, location=location, data_store=data_store, branch=branch, leaf=leaf)  # type: ignore[arg-type]
    return None


def check_host(host: str, location: str) -> None:
    """A Google API host in `Host` must be the one for the location; a local address (an emulator) is fine."""
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
    if name.endswith("discoveryengine.googleapis.com") and name != ENDPOINTS[location]:
        raise invalid(
            f"location {location!r} is served by {ENDPOINTS[location]}, not {name}; send the request to"
            f" https://{ENDPOINTS[location]}/v1/"
        )
