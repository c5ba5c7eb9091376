"""Fixtures: a GCS emulator for the session, a fresh bucket per test, targeted through STORAGE_EMULATOR_HOST."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.deliver.emulators import GcsEmulator, start_gcs


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[GcsEmulator]:
    emulator = start_gcs()
    try:
        yield emulator
    finally:
        emulator.server.stop()


@pytest.fixture
def gcs_bucket(gcs_emulator: GcsEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket on the emulator; STORAGE_EMULATOR_HOST points at it for this test."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    name = f"test-{uuid.uuid4().hex[:12]}"
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(name)
    return name
