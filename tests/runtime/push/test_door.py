"""The checks at the door: every event shape, through the connector's mapping, with a reason that names the fix."""

from __future__ import annotations

import orjson
import pytest

from runtime.push.door import Door, QueuedEvent, RecordTooLarge, Rejected, check_queued
from tests.runtime.push.pushplans import push_plan, upsert


def door(**kwargs: object) -> Door:
    policy = str(kwargs.pop("policy", "auto_delete_missing"))
    return Door(push_plan(policy=policy, **kwargs), max_record_bytes=1000)


def reason(d: Door, event: object) -> str:
    with pytest.raises(Rejected) as caught:
        d.check(event)
    return caught.value.reason


def test_an_upsert_is_queued_as_its_record_with_its_raw_id() -> None:
    event = door().check(upsert("T-1", readers=["a@x.com"]))
    assert event == QueuedEvent(
        "UPSERT",
        "T-1",
        orjson.dumps({"ticket_id": "T-1", "subject": "subject", "description": "d", "readers": ["a@x.com"]}),
    )


def test_integer_ids_become_their_decimal_text_and_deletes_carry_the_id() -> None:
    assert door().check(upsert(42)).raw_id == "42"
    assert door().check({"op": "DELETE", "id": 7}) == QueuedEvent("DELETE", "7", None)


def test_a_nested_id_field_is_read_by_its_dotted_path() -> None:
    d = door(idField="ticket.key")
    assert d.check({"op": "UPSERT", "record": {"ticket": {"key": "K-9"}}}).raw_id == "K-9"
    assert "the id field 'ticket.key' is missing" in reason(d, {"op": "UPSERT", "record": {"ticket": {}}})


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (upsert(None), "the id field 'ticket_id' is missing"),
        (upsert(""), "the id field 'ticket_id' is empty"),
        (upsert(1.5), "must be a string or an integer, not a number"),
        (upsert(True), "must be a string or an integer, not a boolean"),
        ({"op": "DELETE"}, "'id' is missing"),
        ({"op": "MERGE", "record": {}}, '\'op\' must be "UPSERT" or "DELETE", not "MERGE"'),
        ({"record": {}}, "not missing"),
        ({"op": "UPSERT", "record": [1]}, "'record' must be a JSON object, not an array"),
        ({"op": "UPSERT", "record": {"ticket_id": "a"}, "extra": 1}, "has no field 'extra'"),
        ([1, 2], "an event must be a JSON object, not an array"),
        (upsert("T", readers=[1, 2]), "the ACL field 'readers' must be a list of strings"),
    ],
)
def test_bad_events_are_rejected_with_the_reason(event: object, expected: str) -> None:
    assert expected in reason(door(), event)


def test_a_jinja_template_renders_in_the_sandbox_at_the_door() -> None:
    d = door(uriTemplate="https://x.example/{{ ticket_id | lower }}/{{ project.key }}")
    assert d.check(upsert("T-1", project={"key": "P"})).raw_id == "T-1"
    assert "the uri template failed: UndefinedError" in reason(d, upsert("T-1"))
    unsafe = door(contentTemplate="{{ subject.__class__.__mro__ }}")
    assert "the content template failed: SecurityError" in reason(unsafe, upsert("T-1"))


def test_never_delete_refuses_delete_events_of_both_shapes() -> None:
    d = door(policy="never_delete")
    assert "deletePolicy never_delete" in reason(d, {"op": "DELETE", "id": "T-1"})
    assert "deletePolicy never_delete" in reason(d, {"op": "DELETE", "doc_id": "T-1"})
    assert d.check(upsert("T-1")).op == "UPSERT"


def test_the_canonical_document_is_queued_whole_under_the_document_key() -> None:
    event = {
        "op": "UPSERT",
        "doc_id": "kb-1",
        "title": "Title",
        "content": "Body",
        "uri": "https://kb.example/1",
        "updated_at": "2024-05-01T12:00:00Z",
        "acl_users": ["a@x.com"],
        "acl_groups": [],
        "metadata": {"team": "x"},
        "checksum": "abc",
    }
    queued = door().check(event)
    assert queued.raw_id == "kb-1"
    assert queued.record is not None
    document = orjson.loads(queued.record)["__document"]
    assert document == {**{k: v for k, v in event.items() if k != "op"}, "mime_type": "text/plain"}
    assert door().check({"op": "DELETE", "doc_id": "kb-1"}) == QueuedEvent("DELETE", "kb-1", None)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": 5}, "'title' must be a string"),
        ({"content": None}, "'content' must be a string"),
        ({"uri": 1}, "'uri' must be a string"),
        ({"acl_users": "a@x.com"}, "'acl_users' must be a list of strings"),
        ({"metadata": []}, "'metadata' must be a JSON object"),
        ({"metadata": {"title": "x"}}, "metadata key 'title' is reserved"),
        ({"updated_at": "yesterday"}, "'updated_at' must be an ISO-8601 time"),
        ({"doc_id": ""}, "'doc_id' is empty"),
        ({"colour": "red"}, "has no field 'colour'"),
    ],
)
def test_canonical_fields_are_validated_at_the_door(change: dict[str, object], expected: str) -> None:
    event = {"op": "UPSERT", "doc_id": "kb-1", "title": "T", "content": "C", **change}
    assert expected in reason(door(), event)


def test_a_record_over_the_size_limit_is_its_own_error() -> None:
    with pytest.raises(RecordTooLarge, match="the limit is 1000"):
        door().check(upsert("T", description="x" * 2000))


def test_the_drain_check_applies_the_current_mapping_to_a_queued_record() -> None:
    record = orjson.dumps({"ticket_id": "T-1", "subject": "s"})
    assert check_queued(door(), "UPSERT", record) is None
    changed = door(uriTemplate="{{ project.key }}")  # the mapping now needs a field the record lacks
    assert "the uri template failed" in str(check_queued(changed, "UPSERT", record))
    assert check_queued(changed, "DELETE", None) is None
    assert "not a JSON object" in str(check_queued(door(), "UPSERT", b"[1]"))


def test_integers_beyond_64_bits_stay_exact() -> None:
    from runtime.push.body import parse_events
    from runtime.push.limits import Limits

    body = b'[{"op": "UPSERT", "record": {"ticket_id": 123456789012345678901234567890, "big": -99999999999999999999}}]'
    (event,) = parse_events(body, "application/json", Limits())
    queued = door().check(event)
    assert queued.raw_id == "123456789012345678901234567890"
    assert queued.record == b'{"ticket_id":123456789012345678901234567890,"big":-99999999999999999999}'
    assert check_queued(door(), "UPSERT", queued.record) is None


def test_nan_and_infinity_are_not_json() -> None:
    from runtime.push.body import BodyError, parse_events
    from runtime.push.limits import Limits

    for body in (b'[{"n": NaN}]', b'[{"n": Infinity, "x": 11111111111111111111}]'):
        with pytest.raises(BodyError, match="not valid JSON"):
            parse_events(body, "application/json", Limits())
