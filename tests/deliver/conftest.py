"""Fixtures: a GCS emulator for the session, a fresh bucket per test (STORAGE_EMULATOR_HOST), and our Discovery
Engine emulator per test (`de`: a BackgroundEmulator; `api`: an httpx client on its /v1/)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig
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


@pytest.fixture
def de_config() -> EmulatorConfig:
    """Override in a module (or change before `de` starts) for other emulator settings."""
    return EmulatorConfig()


@pytest.fixture
def de(de_config: EmulatorConfig) -> Iterator[BackgroundEmulator]:
    with BackgroundEmulator(de_config) as emulator:
        yield emulator


@pytest.fixture
def api(de: BackgroundEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://{de.host}", timeout=10) as client:
        yield client
