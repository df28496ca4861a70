"""Two first saves of the same tool name at once on PostgreSQL: the later one becomes an update,
never an IntegrityError (a 500 over the API). Real concurrent transactions: another connection
creates the tool after this upsert read the (empty) tool stack and before it inserts."""

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from tools import services
from tools.models import Tool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions on PostgreSQL (CI runs it there)")


def _row(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "category": "engagement",
        "pricing": "flat",
        "monthly_cost": "250.00",
        "currency": "USD",
        "starts_on": "2025-01-01",
        "ends_on": None,
        "seats": [],
    }


def _create_elsewhere(name: str) -> None:
    try:
        Tool.objects.create(
            name=name,
            category="engagement",
            pricing="flat",
            monthly_cost=Decimal("99.00"),
            currency="USD",
            starts_on="2025-01-01",
        )
    finally:
        connections.close_all()


def _watch_reads(monkeypatch: pytest.MonkeyPatch, *, then_create: str | None = None) -> list[int]:
    """How many tools each read of the stack found; with `then_create`, another connection
    creates that tool right after the first read (the upsert loses the race)."""
    original = services._stored_tools
    reads: list[int] = []

    def read() -> dict[str, Tool]:
        stored = original()
        reads.append(len(stored))
        if then_create is not None and len(reads) == 1:
            other = threading.Thread(target=_create_elsewhere, args=(then_create,))
            other.start()
            other.join(timeout=10)
        return stored

    monkeypatch.setattr(services, "_stored_tools", read)
    return reads


# The other request's spelling of the name: the same, or another case (one tool either way).
@pytest.mark.parametrize("theirs", ["Gong", "gong"])
def test_a_tool_created_by_another_request_meanwhile_is_updated_not_a_500_or_a_second_tool(
    monkeypatch: pytest.MonkeyPatch, theirs: str
) -> None:
    reads = _watch_reads(monkeypatch, then_create=theirs)

    result = services.tools_upsert(rows=[_row("Gong")])

    assert reads == [0, 1]  # the first read missed the other request's tool, the retry saw it
    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 1, 0, [])
    assert list(Tool.objects.values_list("name", "monthly_cost")) == [(theirs, Decimal("250.00"))]


def test_the_same_name_twice_in_a_row_without_a_race_reads_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = _watch_reads(monkeypatch)

    first = services.tools_upsert(rows=[_row("Gong")])
    again = services.tools_upsert(rows=[_row("Gong")])

    assert reads == [0, 1]
    assert (first.created, again.unchanged) == (1, 1)
