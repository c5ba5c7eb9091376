"""The API's error envelope: `{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}`."""

from __future__ import annotations

from typing import Any

HTTP_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""google.rpc.Code name -> the HTTP status the REST API answers with."""

RPC_CODE: dict[str, int] = {
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
"""google.rpc.Code numbers, used inside operations (`error`, `errorSamples[]`)."""

STATUS_FOR_HTTP: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An error the emulator answers with, in the API's envelope."""

    def __init__(self, status: str, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status or HTTP_STATUS[status]

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.http_status, "message": self.message, "status": self.status}}

    def rpc_status(self) -> dict[str, Any]:
        """As a google.rpc.Status (how operations carry errors)."""
        return {"code": RPC_CODE.get(self.status, 2), "message": self.message}


def invalid(message: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message)


def not_found(message: str) -> ApiError:
    return ApiError("NOT_FOUND", message)
