"""Where the API is and how requests are authenticated.

Google: `https://{target.endpoint}/v1/` (the host for the plan's location, decided by the compiler), with an
OAuth token from Application Default Credentials (cloud-platform scope), refreshed before it expires.
Emulator: when `DISCOVERYENGINE_EMULATOR_HOST=host:port` is set, plain HTTP to that address with no credentials
(as Google's emulators are targeted). The `Host` header still names the location's API host, so the emulator
can check host/location agreement just as the API does.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from runtime.ingest.errors import DeliveryError

EMULATOR_ENV = "DISCOVERYENGINE_EMULATOR_HOST"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class _AdcToken:
    """An ADC access token, refreshed (in a thread, the refresh blocks) when missing or about to expire."""

    def __init__(self) -> None:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            self.credentials: Any
            self.credentials, _ = google.auth.default(scopes=[SCOPE])
        except DefaultCredentialsError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DeliveryError(
                f"no Google credentials for Discovery Engine ({first}); run `gcloud auth application-default login`,"
                f" set GOOGLE_APPLICATION_CREDENTIALS, or set {EMULATOR_ENV}=host:port to use a local emulator"
            ) from None
        self._lock = threading.Lock()

    def header(self) -> str:
        import google.auth.transport.requests
        from google.auth.exceptions import RefreshError

        with self._lock:
            if not self.credentials.valid:
                try:
                    self.credentials.refresh(google.auth.transport.requests.Request())
                except RefreshError as exc:
                    raise DeliveryError(f"Google credentials could not be refreshed: {exc}") from None
            return f"Bearer {self.credentials.token}"


@dataclass(frozen=True)
class Connection:
    base_url: str
    """`https://eu-discoveryengine.googleapis.com` or `http://127.0.0.1:8790` (no trailing slash)."""
    host: str
    """The API host for the location, sent as `Host`."""
    token: _AdcToken | None
    """None for the emulator (anonymous)."""

    @property
    def emulated(self) -> bool:
        return self.token is None

    def auth_header(self) -> dict[str, str]:
        return {} if self.token is None else {"Authorization": self.token.header()}


def connect(endpoint: str, environ: dict[str, str] | None = None) -> Connection:
    env = os.environ if environ is None else environ
    emulator = env.get(EMULATOR_ENV, "").strip()
    if emulator:
        if "://" in emulator or "/" in emulator:
            raise DeliveryError(f"{EMULATOR_ENV}={emulator!r}: write host:port, e.g. 127.0.0.1:8790")
        return Connection(base_url=f"http://{emulator}", host=endpoint, token=None)
    return Connection(base_url=f"https://{endpoint}", host=endpoint, token=_AdcToken())
