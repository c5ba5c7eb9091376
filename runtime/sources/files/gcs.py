"""`gs://` folders: listing and reading objects through google-cloud-storage (arrives with the delivery work)."""

from __future__ import annotations

from typing import NoReturn

from runtime.errors import ConfigError


class GcsFolder:
    """Placeholder until google-cloud-storage and its emulator are on main: refuses gs:// folders clearly."""

    @classmethod
    def from_uri(cls, uri: str, pattern: str) -> NoReturn:
        raise ConfigError(
            f"folder {uri}: gs:// folders are not available yet in this runtime (they arrive with the delivery"
            " work); use a local folder for now"
        )
