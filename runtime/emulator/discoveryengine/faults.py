"""Injected faults: HTTP errors for matching calls, rejected documents, imports that fail as a whole.

Set at start (CLI flags) or at any time through the control endpoint (`PUT /emulator/faults` with the JSON of
`Faults.to_json`, `DELETE /emulator/faults` to clear). Callers hold the state lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.emulator.discoveryengine.errors import STATUS_FOR_HTTP, ApiError, invalid


@dataclass
class HttpFault:
    """Answer `status` to the next `count` calls (-1: until cleared) whose method and path match."""

    status: int
    method: str = "*"
    path: str = ""
    """A substring of the request path, e.g. `/documents/` or `:import`; empty matches every API call."""
    count: int = 1
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.count != 0 and self.method in ("*", method) and self.path in path

    def error(self) -> ApiError:
        status = STATUS_FOR_HTTP.get(self.status, "INTERNAL")
        return ApiError(status, f"injected fault: HTTP {self.status}", http_status=self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "retryAfter": self.retry_after,
        }


@dataclass
class Faults:
    http: list[HttpFault] = field(default_factory=list)
    reject_ids: set[str] = field(default_factory=set)
    """Writes of these documents fail (imports count them as failures; create/patch answer INVALID_ARGUMENT)."""
    reject_every: int = 0
    """Every Nth document an import writes fails (0: none)."""
    fail_imports: int = 0
    """The next N imports end with an operation error (nothing imported)."""
    _written: int = 0

    def take_http(self, method: str, path: str) -> HttpFault | None:
        for fault in self.http:
            if fault.matches(method, path):
                if fault.count > 0:
                    fault.count -= 1
                return fault
        return None

    def rejection(self, document_id: str, *, in_import: bool) -> str | None:
        """Why this write fails, or None."""
        if document_id in self.reject_ids:
            return f"document {document_id} rejected by an injected fault"
        if in_import and self.reject_every > 0:
            self._written += 1
            if self._written % self.reject_every == 0:
                return f"document {document_id} rejected by an injected fault (every {self.reject_every})"
        return None

    def take_import_failure(self) -> bool:
        if self.fail_imports > 0:
            self.fail_imports -= 1
            return True
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "http": [fault.to_json() for fault in self.http],
            "rejectIds": sorted(self.reject_ids),
            "rejectEvery": self.reject_every,
            "failImports": self.fail_imports,
        }

    @classmethod
    def from_json(cls, data: object) -> Faults:
        if not isinstance(data, dict) or set(data) - {"http", "rejectIds", "rejectEvery", "failImports"}:
            raise invalid("faults: expected {http: [...], rejectIds: [...], rejectEvery: n, failImports: n}")
        try:
            http = [
                HttpFault(
                    status=int(item["status"]),
                    method=str(item.get("method", "*")).upper(),
                    path=str(item.get("path", "")),
                    count=int(item.get("count", 1)),
                    retry_after=None if item.get("retryAfter") is None else float(item["retryAfter"]),
                )
                for item in data.get("http", [])
            ]
            return cls(
                http=http,
                reject_ids={str(i) for i in data.get("rejectIds", [])},
                reject_every=int(data.get("rejectEvery", 0)),
                fail_imports=int(data.get("failImports", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise invalid(f"faults: {type(exc).__name__}: {exc}") from None


def parse_fault_flag(text: str) -> HttpFault:
    """`STATUS[:METHOD[:COUNT[:RETRY_AFTER]]]`, e.g. `429:DELETE:100:0` (COUNT -1: every matching call)."""
    parts = text.split(":")
    try:
        status = int(parts[0])
        method = parts[1].upper() if len(parts) > 1 and parts[1] else "*"
        count = int(parts[2]) if len(parts) > 2 and parts[2] else 1
        retry_after = float(parts[3]) if len(parts) > 3 and parts[3] else None
    except ValueError:
        raise ValueError(
            f"--fault {text!r}: expected STATUS[:METHOD[:COUNT[:RETRY_AFTER]]], e.g. 429:DELETE:5:0"
        ) from None
    return HttpFault(status=status, method=method, count=count, retry_after=retry_after)
