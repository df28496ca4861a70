"""API list pagination (core/pagination.py): page numbers with a bounded count."""

import pytest

from core import pagination
from tests.deals.factories import DealFactory


@pytest.fixture
def deals_client(cast, key_client):  # type: ignore[no-untyped-def]
    for n in range(5):
        DealFactory(owner=cast.rep, external_id=f"D{n}")
    return key_client("deals:read")


def test_pages_follow_next_links_to_the_end(deals_client):
    seen, url, pages = [], "/api/v1/deals/?page_size=2", 0
    while url:
        body = deals_client.get(url).json()
        seen += [d["external_id"] for d in body["results"]]
        pages += 1
        assert body["count"] == 5
        assert body["count_is_exact"] is True
        url = body["next"]

    assert seen == ["D0", "D1", "D2", "D3", "D4"]
    assert pages == 3


def test_previous_links_go_back(deals_client):
    third = deals_client.get("/api/v1/deals/?page_size=2&page=3").json()
    second = deals_client.get(third["previous"]).json()
    first = deals_client.get(second["previous"]).json()

    assert "page=2" in third["previous"]
    assert "page=" not in second["previous"]
    assert [d["external_id"] for d in first["results"]] == ["D0", "D1"]
    assert first["previous"] is None


def test_the_count_stops_at_the_limit_but_every_page_still_works(deals_client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)

    first = deals_client.get("/api/v1/deals/?page_size=2").json()
    last = deals_client.get("/api/v1/deals/?page_size=2&page=3").json()

    assert (first["count"], first["count_is_exact"]) == (3, False)
    assert first["next"] is not None
    assert [d["external_id"] for d in last["results"]] == ["D4"]
    assert last["next"] is None


@pytest.mark.parametrize("page", ["0", "-1", "x", "last", "4", "99999999999999999999"])
def test_a_page_that_does_not_exist_is_a_404(deals_client, page):
    response = deals_client.get(f"/api/v1/deals/?page_size=2&page={page}")

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


def test_an_empty_list_has_one_empty_page(key_client, db):
    body = key_client("deals:read").get("/api/v1/deals/").json()

    assert body == {
        "count": 0,
        "count_is_exact": True,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize("rows", [5, 40])
def test_a_middle_page_costs_the_same_at_any_size(
    cast, key_client, rows, django_assert_num_queries
):
    for n in range(rows):
        DealFactory(owner=cast.rep, external_id=f"D{n:03d}")
    client = key_client("deals:read")

    # Queries: the key; its last-used time; the page (one row more than asked, for `next`);
    # the count, bounded by COUNT_LIMIT.
    with django_assert_num_queries(4):
        body = client.get("/api/v1/deals/?page_size=2&page=2").json()

    assert body["count"] == rows
    assert [d["external_id"] for d in body["results"]] == ["D002", "D003"]
