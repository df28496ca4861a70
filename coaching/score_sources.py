"""Where per-criterion rubric scores come from, for the score trends: call scorecards (coaching's
own) and whatever an app above coaching registers (practice reviews, issue 18).

Coaching may not import the apps above it (the layers contract in pyproject.toml), so they
register a source when Django starts (their AppConfig.ready). A source answers the score rows a
viewer may count, as values rows that `coaching.selectors.criterion_trend` joins with UNION ALL:
`criterion_id`, `month` (TruncMonth, in the current zone, of when the scored performance took
place), `total` (sum of the scores), `n` (number of scores), `items` (distinct scored things).
"""

from typing import Any, Protocol

from django.db.models import QuerySet

from accounts.access import Principal


class TrendScores(Protocol):
    def __call__(
        self, *, viewer: Principal, rubric_id: int, rep_id: int | None
    ) -> QuerySet[Any, dict[str, Any]]: ...


_sources: list[TrendScores] = []


def trend_source_register(source: TrendScores) -> None:
    """Add a source once (ready() may run twice in tests)."""
    if source not in _sources:
        _sources.append(source)


def trend_sources() -> tuple[TrendScores, ...]:
    return tuple(_sources)
