"""The document-id rule (`compiler.plan.document_id`): valid ids pass through, others get prefix + SHA-256."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.plan import DocumentIdRule, document_id

RULE = DocumentIdRule("id", 128, "^[A-Za-z0-9_-]+$", 80, "sha256", 40)
VALID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


@pytest.mark.parametrize("raw", ["emp-42", "A_b-9", "x" * 128, "0"])
def test_safe_ids_are_kept(raw: str) -> None:
    assert document_id(raw, RULE) == raw


def test_too_long_id_gets_prefix_and_sha256_suffix() -> None:
    raw = "x" * 129
    result = document_id(raw, RULE)
    assert result == "x" * 80 + "-" + hashlib.sha256(raw.encode()).hexdigest()[:40]
    assert len(result) <= 128


def test_unsafe_characters_keep_a_readable_prefix() -> None:
    raw = "https://kb.example.com/articles/42"
    result = document_id(raw, RULE)
    assert result.startswith("https-kb-example-com-articles-42-")
    assert result.endswith(hashlib.sha256(raw.encode()).hexdigest()[:40])


def test_ids_differing_only_in_unsafe_characters_stay_distinct() -> None:
    assert document_id("a/b", RULE) != document_id("a b", RULE)
    assert document_id("a/b", RULE) != document_id("a-b", RULE)


def test_only_unsafe_characters_give_the_hash_alone() -> None:
    assert document_id("///", RULE) == hashlib.sha256(b"///").hexdigest()[:40]


def test_empty_id_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        document_id("", RULE)


@given(st.text(min_size=1, max_size=400))
def test_every_id_is_valid_and_stable(raw: str) -> None:
    result = document_id(raw, RULE)
    assert VALID.fullmatch(result)
    assert document_id(raw, RULE) == result


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_different_unsafe_ids_do_not_collide(a: str, b: str) -> None:
    if a != b and not (VALID.fullmatch(a) or VALID.fullmatch(b)):
        assert document_id(a, RULE) != document_id(b, RULE)
