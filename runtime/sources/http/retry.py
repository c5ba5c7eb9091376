"""Retrying one HTTP request: which failures are transient, how long to wait, and when to give up.

tenacity runs the loop. Transient: HTTP statuses in the plan's retry policy (429, 500, 502, 503, 504) and transport
errors (refused or reset connections, timeouts). The wait is the server's `Retry-After` (seconds or an HTTP date)
when it sends one, else jittered exponential backoff; both are capped by the policy's `max_backoff_seconds`.
Retrying stops after `attempts` tries, or earlier when the next wait would pass the run's deadline. Any other
status is never retried, nor is a TLS certificate that does not verify.
"""

from __future__ import annotations

import datetime
import email.utils
import ssl
import time
from collections.abc import Callable

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential, wait_random

from compiler.plan import Retry


class RetryableStatus(Exception):
    """A response whose status the policy retries; `retry_after` is the server's wish in seconds, if any."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
        self.status = response.status_code
        self.retry_after = retry_after


class Deadline:
    """The whole run's time limit (`runTimeoutSeconds`), on the monotonic clock."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self.ends = clock() + seconds

    def remaining(self) -> float:
        return self.ends - self.clock()

    def passed(self) -> bool:
        return self.remaining() <= 0


def retry_after_seconds(value: str | None, now: datetime.datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: a number of seconds or an HTTP date; None when absent or unreadable.

    >>> retry_after_seconds("3")
    3.0
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.UTC))
    10.0
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    current = now or datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - current).total_seconds())


def _certificate_refused(error: BaseException) -> bool:
    """A TLS certificate that does not verify is no hiccup: asking again gets the same certificate."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retryable(error: BaseException) -> bool:
    if isinstance(error, RetryableStatus):
        return True
    return isinstance(error, httpx.TransportError) and not _certificate_refused(error)


def _wait(policy: Retry) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential(multiplier=policy.initial_backoff_seconds, max=policy.max_backoff_seconds) + wait_random(
        0, policy.initial_backoff_seconds
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, RetryableStatus) and error.retry_after is not None and policy.honour_retry_after:
            return min(error.retry_after, policy.max_backoff_seconds)
        return min(float(backoff(state)), policy.max_backoff_seconds)

    return wait


def _stop(policy: Retry, deadline: Deadline) -> Callable[[RetryCallState], bool]:
    def stop(state: RetryCallState) -> bool:
        return state.attempt_number >= policy.attempts or state.upcoming_sleep >= deadline.remaining()

    return stop


def retrying(policy: Retry, deadline: Deadline, sleep: Callable[[float], None] = time.sleep) -> Retrying:
    """A tenacity loop for one request: `for attempt in retrying(...): with attempt: ...`."""
    return Retrying(
        retry=retry_if_exception(retryable),
        wait=_wait(policy),
        stop=_stop(policy, deadline),
        sleep=sleep,
        reraise=True,
    )
