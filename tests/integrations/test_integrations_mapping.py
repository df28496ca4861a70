import datetime as dt

import pytest

from integrations.mapping import (
    MappingInvalid,
    closed_at_for,
    fact_value,
    parse_amount,
    parse_time,
    stage_map_clean,
    stage_resolve,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (None, None),
        ("", None),
        ("  ", None),
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("checked", True),
        ("false", False),
        ("No", False),
        ("0", False),
        ("none", False),
        ("2025-03-31", True),
        ("Dana Buyer", True),
        (0, False),
        (3, True),
    ],
)
def test_fact_value(value, expected):
    assert fact_value(value) is expected


def test_stage_resolve_gives_label_and_status():
    stage = stage_resolve({"s1": {"status": "won", "order": 1, "label": "Signed"}}, "s1")

    assert (stage.label, stage.status) == ("Signed", "won")


def test_stage_without_label_shows_its_id():
    assert stage_resolve({"s1": {"status": "open"}}, "s1").label == "s1"


@pytest.mark.parametrize("stage_id", ["unknown", ""])
def test_unmapped_stage_names_itself(stage_id):
    with pytest.raises(MappingInvalid) as excinfo:
        stage_resolve({"s1": {"status": "open"}}, stage_id)

    assert excinfo.value.field == "stage"
    assert f"Unknown stage id '{stage_id}'" in excinfo.value.message


def test_stage_map_clean_normalises():
    assert stage_map_clean({" a ": {"status": "lost", "order": "3", "label": " Lost "}}) == {
        "a": {"status": "lost", "order": 3, "label": "Lost"}
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must be an object"),
        ({"a": {"status": "maybe"}}, "open, won or lost"),
        ({"a": {"status": "open", "order": "x"}}, "whole number"),
        ({"": {"status": "open"}}, "give a stage id"),
    ],
)
def test_stage_map_clean_refuses(raw, message):
    with pytest.raises(ValueError, match=message):
        stage_map_clean(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-15T10:30:00.000+0000", dt.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.123Z", dt.datetime(2024, 1, 15, 10, 30, 0, 123000, tzinfo=UTC)),
        ("1705314600000", dt.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (1705314600000, dt.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15", dt.datetime(2024, 1, 15, tzinfo=UTC)),
    ],
)
def test_parse_time_reads_crm_formats(value, expected):
    assert parse_time(value, field="x") == expected


def test_parse_time_refuses_garbage():
    with pytest.raises(MappingInvalid, match="Not a date-time"):
        parse_time("yesterday", field="created_at")


def test_amounts():
    assert parse_amount(None) == "0"
    assert parse_amount("") == "0"
    assert parse_amount(1500.5) == "1500.5"
    with pytest.raises(MappingInvalid):
        parse_amount("lots")


def test_closed_at_for():
    created = dt.datetime(2025, 1, 10, 15, 0, tzinfo=UTC)
    same_day = dt.datetime(2025, 1, 10, tzinfo=UTC)
    later = dt.datetime(2025, 2, 1, tzinfo=UTC)
    earlier_day = dt.datetime(2025, 1, 2, tzinfo=UTC)

    assert closed_at_for(status="open", close_time=later, created_at=created) is None
    assert closed_at_for(status="won", close_time=later, created_at=created) == later
    assert closed_at_for(status="won", close_time=same_day, created_at=created) == created
    # A close date days before creation is a data problem; ingestion reports it.
    assert closed_at_for(status="lost", close_time=earlier_day, created_at=created) == earlier_day
