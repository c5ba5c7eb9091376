"""Secret values never reach reports, errors, artifacts or state: checked with canary values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.errors import SourceError
from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import make_plan

CANARY_PASSWORD = "CANARY-pw-7f3a9c"
CANARY_URL = f"postgresql://svc:{CANARY_PASSWORD}@db.internal:5432/hr"


def test_secret_in_an_extractor_error_is_redacted(tmp_path: Path) -> None:
    class Leaky:
        def batches(self, statement: str, params: object) -> object:
            raise SourceError(f"could not connect to {CANARY_URL} (password {CANARY_PASSWORD})")
            yield

        def close(self) -> None:
            pass

    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri()), secret=CANARY_URL)
    with pytest.raises(SourceError) as failure:
        h.run(opener=lambda source, url: Leaky())  # type: ignore[arg-type, return-value]
    assert CANARY_PASSWORD not in str(failure.value)
    assert "***" in str(failure.value)


def test_secret_never_in_report_artifacts_or_state(tmp_path: Path) -> None:
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri()), secret=CANARY_URL)
    seen_urls: list[str] = []
    from tests.runtime.fakes import FakeSource

    fake = FakeSource(docs_table(range(1, 6)))

    def opener(source: object, url: str) -> object:
        seen_urls.append(url)
        return fake.open(source, url)  # type: ignore[arg-type]

    report = h.run(opener=opener)  # type: ignore[arg-type]
    assert seen_urls == [CANARY_URL]  # the extractor got the secret...
    assert CANARY_PASSWORD not in json.dumps(report.to_json())  # ...nothing else did
    for name, data in h.snapshot_files().items():
        assert CANARY_PASSWORD.encode() not in data, name
