"""The runtime follows the provider table (`compiler.plan.providers`): every row's URLs parse, its driver's
module names its extra, and redaction reads every provider's scheme as a database URL (no server needed)."""

from __future__ import annotations

import itertools

import pytest
from extract_helpers import CANARY, make_source

from compiler.plan.providers import PROVIDERS, Provider
from runtime.errors import SourceError
from runtime.extract import _DRIVER_MODULES, _FAST_PATHS
from runtime.extract.urls import parse_target
from runtime.optional import EXTRAS, install_hint
from runtime.redact import mask_credentials, redact, secret_fragments

ROWS = list(PROVIDERS.values())
IDS = list(PROVIDERS)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_the_example_url_is_accepted_and_gets_the_plan_driver(row: Provider) -> None:
    target = parse_target(make_source(row.name), row.example_url)
    assert target.url.drivername == row.driver
    assert target.driver == row.driver_name


@pytest.mark.parametrize(
    ("row", "scheme"), [(row, scheme) for row in ROWS for scheme in row.schemes], ids=lambda v: getattr(v, "name", v)
)
def test_every_scheme_of_a_provider_is_accepted(row: Provider, scheme: str) -> None:
    url = f"{scheme}:///path/file" if row.embedded else f"{scheme}://u:{CANARY}@h/db"
    assert parse_target(make_source(row.name), url).url.drivername == row.driver


@pytest.mark.parametrize(("row", "other"), list(itertools.permutations(ROWS, 2)), ids=lambda v: v.name)
def test_another_providers_scheme_is_refused(row: Provider, other: Provider) -> None:
    with pytest.raises(SourceError, match="does not match the provider") as caught:
        parse_target(make_source(row.name), f"{other.schemes[-1]}://u:{CANARY}@h/db")
    assert CANARY not in str(caught.value)
    assert mask_credentials(row.example_url) in str(caught.value), "the fix shows the provider's example URL"


@pytest.mark.parametrize(
    "scheme", sorted({s for row in ROWS for s in row.schemes} | {f"{row.driver}" for row in ROWS if row.driver_name})
)
def test_redaction_reads_every_provider_scheme_as_a_database_url(scheme: str) -> None:
    """Only the password of a database URL is secret: the host stays readable in messages."""
    url = f"{scheme}://user:{CANARY}@db.example.com:1/sales"
    fragments = secret_fragments(url)
    assert url not in fragments
    assert CANARY in fragments
    assert redact(f"cannot reach {url}", [url]) == f"cannot reach {scheme}://user:***@db.example.com:1/sales"


def test_a_url_of_no_provider_is_secret_whole() -> None:
    url = f"https://hooks.example.com/{CANARY}"
    assert url in secret_fragments(url)


@pytest.mark.parametrize("row", [r for r in ROWS if r.driver_module], ids=lambda r: r.name)
def test_every_driver_module_names_its_extra(row: Provider) -> None:
    assert row.driver_module is not None
    assert EXTRAS[row.driver_module] == row.extra
    assert f"pip install 'gemini-sync[{row.extra}]'" in install_hint(row.driver_module)
    if row.driver_name:
        assert _DRIVER_MODULES[row.driver_name] == row.driver_module


def test_fast_paths_are_for_known_providers_and_every_embedded_one_has_its_own() -> None:
    """An embedded database is opened by its own library, never through SQLAlchemy (no dialect is installed)."""
    assert {provider for provider, _ in _FAST_PATHS} <= set(PROVIDERS)
    for row in ROWS:
        if row.embedded:
            assert (row.name, row.driver_name) in _FAST_PATHS, f"{row.name} has no fast path"
