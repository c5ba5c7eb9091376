"""GS103 cron-syntax: spec.schedule is a valid five-field cron expression.

**Bad**

```yaml
schedule: "0 */3 * *"
```

**Good**

```yaml
schedule: "0 */3 * * *"
```
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime

from croniter import CroniterBadDateError, croniter

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS103"
_EXAMPLE = 'e.g. "0 */3 * * *" (minute hour day-of-month month day-of-week)'


_FROM = datetime(2000, 1, 1, tzinfo=UTC)
"""A fixed start, so the answer never depends on today's date; any 8 years from here include a leap day."""


@functools.lru_cache(maxsize=1024)
def _is_valid(schedule: str) -> bool:
    """Schedules repeat across a repository; croniter's check is the costliest part of this rule."""
    return bool(croniter.is_valid(schedule))


@functools.lru_cache(maxsize=1024)
def _ever_fires(schedule: str) -> bool:
    """False for well-formed schedules that name no real date, such as February 30th."""
    try:
        croniter(schedule, _FROM, max_years_between_matches=8).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True


def check(connector: Connector) -> Iterator[Finding]:
    schedule = connector.spec.get("schedule")
    if schedule is None:
        return
    fields = schedule.split()
    if len(fields) != 5:
        yield Finding(
            CODE,
            f"spec.schedule {schedule!r} has {len(fields)} fields; cron needs exactly 5",
            "/spec/schedule",
            _EXAMPLE,
        )
    elif not _is_valid(schedule):
        yield Finding(CODE, f"spec.schedule {schedule!r} is not a valid cron expression", "/spec/schedule", _EXAMPLE)
    elif not _ever_fires(schedule):
        yield Finding(
            CODE,
            f"spec.schedule {schedule!r} never fires: no month has that day",
            "/spec/schedule",
            "check the day-of-month and month fields",
        )
