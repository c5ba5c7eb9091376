"""Local emulators for delivery tests: the GCS emulator (`gcp-storage-emulator` from PyPI, in this process) and
our Discovery Engine emulator (`runtime.emulator.discoveryengine`, on a uvicorn thread). Both on free ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gcp_storage_emulator.server import create_server


@dataclass
class GcsEmulator:
    server: Any
    url: str

    def tamper(self, bucket: str, name: str, data: bytes) -> None:
        """Overwrite an object's bytes behind the server's back (its stored checksums stay the old ones)."""
        storage = self.server._storage  # the emulator's internals: only to prove our checksum checks fire
        storage._store.write_bytes(storage._object_path(bucket, name), data)


def start_gcs() -> GcsEmulator:
    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    port = server._api._httpd.server_address[1]
    return GcsEmulator(server=server, url=f"http://127.0.0.1:{port}")


BRANCH = "projects/p/locations/global/collections/default_collection/dataStores/ds/branches/default_branch"
