"""List pagination, the API's and the pages' long lists: page numbers, with a count whose
cost does not grow with the table.

DRF's page-number pagination runs `COUNT(*)` over the whole filtered list on every page, which
on a large deals table costs more than the page itself. Here the count stops at COUNT_LIMIT
rows (`SELECT COUNT(*) FROM (SELECT … LIMIT COUNT_LIMIT + 1)`), and whether a next page exists
comes from reading one row more than the page, not from the count. Two queries per page
whatever the table's size: the page, and the bounded count.

The answer keeps v1's shape `{"count", "next", "previous", "results"}` and adds
`count_is_exact`: when the list holds more than COUNT_LIMIT rows, `count` is COUNT_LIMIT and
`count_is_exact` is false; follow `next` to the end (every page, however deep, still works).
"""

from collections.abc import Sequence
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

COUNT_LIMIT = 10_000


def bounded_count(rows: QuerySet[Any] | Sequence[Any]) -> int:
    """How many rows, up to COUNT_LIMIT + 1. Counted on the primary keys, unordered: a list's
    annotations (a deal's slip and stage entry are correlated subqueries) and its ordering
    cost per row and do not change how many rows there are; filters on annotations stay in
    the WHERE clause."""
    if not isinstance(rows, QuerySet):
        return len(rows)
    return rows.order_by().values("pk")[: COUNT_LIMIT + 1].count()


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.request = request
        self.url = request.build_absolute_uri()
        page_size = self.get_page_size(request) or 50
        raw = request.query_params.get(self.page_query_param, "1") or "1"
        # "last" is not offered: finding the last page would need the full count.
        number = int(raw) if raw.isdecimal() and len(raw) < 10 else 0
        if number < 1:
            raise NotFound(self.invalid_page_message)
        offset = (number - 1) * page_size
        # One row more than the page says whether there is a next page.
        rows = list(queryset[offset : offset + page_size + 1])
        if number > 1 and not rows:
            raise NotFound(self.invalid_page_message)
        self.number = number
        self.has_next = len(rows) > page_size
        self.count = bounded_count(queryset)
        return rows[:page_size]

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": min(self.count, COUNT_LIMIT),
                "count_is_exact": self.count <= COUNT_LIMIT,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return replace_query_param(self.url, self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number <= 1:
            return None
        if self.number == 2:
            return remove_query_param(self.url, self.page_query_param)
        return replace_query_param(self.url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            f"rows in the list, counted up to {COUNT_LIMIT:,}"
        )
        answer["properties"]["count_is_exact"] = {
            "type": "boolean",
            "description": f"false when the list holds more than {COUNT_LIMIT:,} rows "
            "(count is then the limit; follow next to the end)",
            "example": True,
        }
        answer["required"] = [*answer.get("required", []), "count_is_exact"]
        return answer


class BoundedPaginator(Paginator[Any]):
    """Django's Paginator for the pages' long lists (the deal list), with the API's bounded
    count: `count` stops at COUNT_LIMIT + 1 rows. Up to the limit nothing changes. Past it,
    `count_is_exact` is false, every page number still works (a page reads one row more than
    it shows to know whether a next one exists), and the template says "more than"."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        return bounded_count(rows) if isinstance(rows, QuerySet) else len(rows)

    @property
    def count_is_exact(self) -> bool:
        return self.count <= COUNT_LIMIT

    def validate_number(self, number: int | float | str) -> int:
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            valid = int(str(number))
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if valid < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return valid

    def page(self, number: int | float | str) -> Page[Any]:
        valid = self.validate_number(number)
        if self.count_is_exact:
            return super().page(valid)
        bottom = (valid - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage(self.error_messages["no_results"])
        return _OpenEndedPage(rows[: self.per_page], valid, self, more=len(rows) > self.per_page)


class _OpenEndedPage(Page[Any]):
    """A page past the counted rows: whether a next page exists comes from the extra row."""

    def __init__(
        self, rows: list[Any], number: int, paginator: Paginator[Any], *, more: bool
    ) -> None:
        super().__init__(rows, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more
