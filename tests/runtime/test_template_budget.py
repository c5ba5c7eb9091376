"""Template work per record is bounded: hostile templates fail their record with a clear message, in seconds.

Each case would run for hours or allocate gigabytes without the budget (`runtime.map.jinja_budget`); here each
fails on the first record, named in the message. Sensible templates still render.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from runtime.errors import MappingError
from runtime.map.jinja import render_jinja_columns
from runtime.map.jinja_budget import MAX_RENDER_SECONDS
from tests.runtime.harness import Harness
from tests.runtime.planbuilder import jinja, make_plan

TABLE = pa.table({"id": ["rec-1", "rec-2"], "title": ["a", "b"], "body": ["x" * 100, "y"], "department": ["e", "o"]})

HOSTILE = {
    "nested-ranges": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "its loops ran more than 100,000 times for one record",
    ),
    "lipsum": ("{{ lipsum(1000000) }}", "lipsum(1,000,000) would write more than"),
    "string-repeat": ("{{ 'x' * 1000000000 }}", "repeating a value 1,000,000,000 times"),
    "power": ("{{ 9 ** 999999999 }}", "has more than 4,096 bits"),
    "str-center": ("{{ title.center(1000000000) }}", "str.center() got 1,000,000,000"),
    "center-filter": ("{{ title | center(1000000000) }}", "the center filter got 1,000,000,000"),
    "percent-width": ("{{ '%999999999s' % title }}", "a %-format asks for a field width"),
    "format-width": ("{{ '{:>999999999}'.format(title) }}", "str.format asks for a field width"),
    "output": ("{% for i in range(90000) %}{{ body }}{% endfor %}", "rendered more than 8,388,608 characters"),
    "time": (
        "{% for i in range(99999) %}{{ range(100000) | list | length }}{% endfor %}",
        f"it ran longer than {MAX_RENDER_SECONDS:g} s for one record",
    ),
}


@pytest.fixture
def deadline() -> Iterator[None]:
    """Without the budget these templates run for hours: stop the test instead of hanging the suite."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the template was not stopped by its budget")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, MAX_RENDER_SECONDS + 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.usefixtures("deadline")
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_template_fails_its_record_quickly(case: str) -> None:
    source, reason = HOSTILE[case]
    started = time.monotonic()
    with pytest.raises(MappingError) as caught:
        render_jinja_columns(TABLE, [("content", jinja(source, ("title", "body")))], "id")
    assert time.monotonic() - started < MAX_RENDER_SECONDS + 8  # the budget, plus a loaded machine's slack
    message = str(caught.value)
    assert message.startswith("record 'rec-1': the content template was stopped: ")
    assert reason in message
    assert "Fix: bound the template's loops and sizes" in message


def test_sensible_templates_still_render() -> None:
    source = (
        "{% for word in body.split('x')[:3] %}[{{ loop.index }}]{% endfor %} {{ '-' * 20 }} {{ 2 ** 10 }} "
        "{{ '{:,}'.format(80000000) }} {{ title | center(9) }} {{ lipsum(1, html=False)[:5] }} {{ '%5s' % title }}"
    )
    table = render_jinja_columns(TABLE, [("content", jinja(source, ("title", "body")))], "id")
    first = table.column("__gs_content")[0].as_py()
    assert first.startswith("[1][2][3] -------------------- 1024 80,000,000     a     ")
    assert first.endswith("    a")


def test_a_budget_failure_in_a_run_names_the_record_and_changes_nothing(tmp_path: Path) -> None:
    plan = make_plan((tmp_path / "out").as_uri(), content=jinja(HOSTILE["nested-ranges"][0], ()))
    harness = Harness(tmp_path, plan)
    with pytest.raises(MappingError, match=r"record \d+: the content template was stopped: its loops ran"):
        harness.run(pa.table({"id": [1], "title": ["a"], "body": ["b"], "department": ["d"]}))
    assert not (tmp_path / "out").exists()
