"""Exact JSON for records from outside: integers of any size survive parsing and serialising; bad text is a
ValueError (so callers' one `except ValueError` covers it), never a float, a traceback or a crash."""

from __future__ import annotations

import orjson
import pytest

from runtime import exact_json
from runtime.push.body import BodyError, parse_events
from runtime.push.limits import Limits
from runtime.sources.http.records import parse_page


def test_integers_beyond_64_bits_stay_exact_through_a_round_trip() -> None:
    text = b'{"id": 12345678901234567890123, "small": -9223372036854775809, "n": 7, "x": 1.5}'
    value = exact_json.loads(text)
    assert value == {"id": 12345678901234567890123, "small": -9223372036854775809, "n": 7, "x": 1.5}
    assert orjson.loads(text)["id"] != 12345678901234567890123  # what the fast parser alone would do: a float
    assert exact_json.dumps(value) == b'{"id":12345678901234567890123,"small":-9223372036854775809,"n":7,"x":1.5}'


@pytest.mark.parametrize("text", [b"", b"{", b'{"a": NaN}', b'{"a": Infinity}', b"[1,]", b'"\xff"', b"[" * 100_000])
def test_text_that_is_not_json_is_a_value_error(text: bytes) -> None:
    with pytest.raises(ValueError, match=r"malformed|truncated|Invalid UTF-8|nested too deeply"):
        exact_json.loads(text)


def test_an_error_names_the_line_and_column() -> None:
    with pytest.raises(ValueError, match=r"^JSON is malformed: invalid character at line 3 column \d+$"):
        exact_json.loads(b'{\n  "a": 1,\n  "b": nope\n}')
    with pytest.raises(ValueError, match=r"^JSON is malformed: trailing comma in array at line 2 column 4$"):
        exact_json.loads(b'{"a":\n[1,]}')
    with pytest.raises(ValueError, match=r"^the JSON ends too early \(truncated\)$"):
        exact_json.loads(b'{"a": [1, 2')


def test_a_page_keeps_a_big_id_exact_and_a_deep_push_body_is_refused() -> None:
    page = parse_page(b'{"items": [{"id": 123456789012345678901234567890}]}', None, "page 1", None)
    assert page.records == [b'{"id":123456789012345678901234567890}']
    with pytest.raises(BodyError, match="nested too deeply"):
        parse_events(b"[" * 100_000 + b"]" * 100_000, "application/json", Limits())
