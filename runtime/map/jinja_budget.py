"""A sandboxed Jinja environment whose work per record is bounded: loops, time, output and single operations.

Jinja's sandbox stops templates from reaching Python internals, not from running long: two nested
`range(100000)` loops are ten billion iterations, and `lipsum(1000000)` builds half a gigabyte. Every record
is rendered under a `Budget`, and the environment enforces it where work can grow:

- every `{% for %}` loop's iterable is wrapped (by rewriting the template's tree) so that each iteration counts
  against `MAX_LOOP_ITERATIONS` and checks the record's deadline (`MAX_RENDER_SECONDS`);
- every call and filter checks the deadline and refuses a result longer than the output limit; the ones that
  take a width or a count (`center`, `indent`, `wordwrap`, `truncate`, `batch`, `slice`, `str.ljust`, ...,
  `lipsum`) refuse one that would exceed it before they run (`'x'.center(10**9)`, `lipsum(1000000)`);
- `*`, `**` and `%` are checked before they run (`'x' * 10**9`, `9 ** 10**9`, `'%999999999s' % x`), and so are
  `str.format` widths;
- the renderer (`runtime.map.jinja`) stops the output stream at `MAX_RENDERED_CHARS`.

A template over budget fails its record with `TemplateBudgetExceeded`, which names the limit; the caller turns
it into a MappingError naming the record.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

MAX_RENDERED_CHARS = 8 << 20
"""Characters one template may render for one record (8 Mi: far above any document body)."""
MAX_LOOP_ITERATIONS = 100_000
"""Loop iterations one template may run for one record, over all its loops."""
MAX_RENDER_SECONDS = 2.0
"""Wall-clock time one template may take for one record (a record usually takes about 30 microseconds)."""
MAX_POWER_BITS = 4096
"""Largest result of `**` on integers, in bits."""

LOOP_GUARD = "__gemini_sync_loop__"
"""Name of the global that wraps every loop's iterable; templates never need to call it themselves."""

_HUGE_WIDTH = re.compile(r"[{%][^{}%]*\d{7,}")
"""A field width of seven digits or more (a million characters or more) in a `{}` or `%` format string."""


class TemplateBudgetExceeded(Exception):
    """A template used more than its per-record budget; the message names the limit."""


@dataclass(slots=True)
class Budget:
    deadline: float
    loops_left: int = MAX_LOOP_ITERATIONS
    started: float = field(default_factory=time.monotonic)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateBudgetExceeded(f"it ran longer than {MAX_RENDER_SECONDS:g} s for one record")

    def tick(self) -> None:
        self.loops_left -= 1
        if self.loops_left < 0:
            raise TemplateBudgetExceeded(f"its loops ran more than {MAX_LOOP_ITERATIONS:,} times for one record")
        self.check_time()


_STATE = threading.local()


def start_record() -> Budget:
    """A fresh budget for the next record rendered on this thread."""
    budget = Budget(deadline=time.monotonic() + MAX_RENDER_SECONDS)
    _STATE.budget = budget
    return budget


def _budget() -> Budget:
    budget: Budget | None = getattr(_STATE, "budget", None)
    if budget is None:  # rendering outside `start_record` (never in the runtime): still bounded
        budget = start_record()
    return budget


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


def _check_result(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_RENDERED_CHARS:
        raise TemplateBudgetExceeded(f"a value grew past {MAX_RENDERED_CHARS:,} characters")
    return value


_SIZED_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})
"""Filters whose arguments after the value are widths or counts."""
_SIZED_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
"""`str` methods whose integer argument is the width of the result."""


def _check_arguments(args: Iterable[Any], what: str) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_RENDERED_CHARS:
            raise TemplateBudgetExceeded(f"{what} got {arg:,}, more than the output limit of {MAX_RENDERED_CHARS:,}")


def _check_format(text: str, what: str) -> None:
    if _HUGE_WIDTH.search(text):
        raise TemplateBudgetExceeded(f"{what} asks for a field width of a million characters or more")


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    # pass_context / pass_environment filters get the context or environment first, then the value.
    skip = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(function)  # keeps that pass_* marker, which Jinja reads
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().check_time()
        if name in _SIZED_FILTERS:
            _check_arguments([*args[skip:], *kwargs.values()], f"the {name} filter")
        if name == "format" and len(args) >= skip and isinstance(args[skip - 1], str):
            _check_format(args[skip - 1], "the format filter")
        return _check_result(function(*args, **kwargs))

    return guarded


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja's `lipsum`, refused when it would write more than the output limit (about 8 characters a word)."""
    if n * max * 8 > MAX_RENDERED_CHARS:
        raise TemplateBudgetExceeded(f"lipsum({n:,}) would write more than {MAX_RENDERED_CHARS:,} characters")
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


def _bounded_power(left: Any, right: Any) -> Any:
    integers = isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
    if integers and right * math.log2(abs(left)) > MAX_POWER_BITS:
        raise TemplateBudgetExceeded(f"{left} ** {right} has more than {MAX_POWER_BITS:,} bits")
    return left**right


def _bounded_repeat(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        repeat = isinstance(sequence, str | bytes | list | tuple) and type(count) is int
        if repeat and len(sequence) * count > MAX_RENDERED_CHARS:
            raise TemplateBudgetExceeded(f"repeating a value {count:,} times exceeds the output limit")
    return left * right


def _bounded_modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        _check_format(left, "a %-format")
    return _check_result(left % right)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {"**": _bounded_power, "*": _bounded_repeat, "%": _bounded_modulo}


class BudgetedEnvironment(SandboxedEnvironment):
    """The sandbox plus the per-record budget (see the module docstring)."""

    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}
        self.globals[LOOP_GUARD] = _counted
        self.globals["lipsum"] = _bounded_lipsum

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        _budget().check_time()
        return _BINOPS[op](left, right)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _budget().check_time()
        if isinstance(getattr(__obj, "__self__", None), str) and getattr(__obj, "__name__", "") in _SIZED_METHODS:
            _check_arguments([*args, *kwargs.values()], f"str.{__obj.__name__}()")
        return _check_result(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(str(value.__self__), "str.format")
        return wrapped

    def budgeted(self, source: str) -> jinja2.Template:
        """Compile `source` with every loop's iterable counted against the record's budget."""
        tree = self.parse(source)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(LOOP_GUARD, "load"), [loop.iter], [], None, None)
        return self.from_string(tree)
