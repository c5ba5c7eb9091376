"""Fixtures: our Discovery Engine emulator per test (`de`: a BackgroundEmulator; `api`: an httpx client on its
/v1/). The GCS emulator and a fresh bucket per test (`gcs_emulator`, `gcs_bucket`) are in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig


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
