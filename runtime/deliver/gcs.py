"""`gs://` artifact stores: Google Cloud Storage through the official client (arrives with the delivery work)."""

from __future__ import annotations

from typing import NoReturn

from runtime.errors import ConfigError


class GcsStore:
    """Placeholder until the delivery work lands: refuses gs:// buckets with a clear message."""

    @classmethod
    def from_uri(cls, base_uri: str) -> NoReturn:
        raise ConfigError(
            f"output {base_uri}: gs:// artifacts are not available yet in this runtime (they arrive with the"
            " delivery work); use a file:// bucket for now"
        )
