"""Reads over deals: visibility, slips, days in stage, pipeline hygiene, currency conversion.

Definitions (DESIGN.md §4), computed from the stored history so they hold as they were at the time:
- slipped: deals.slips (one definition: an expected close date pushed later or passed without
  the deal closing by it);
- days in stage: from the change that entered the stage to the next stage change (or today);
- stuck: an open deal longer in its stage than the usual time of its owner's team there, i.e.
  the 75th percentile of that team's finished stays in that stage over the last year (at
  least MIN_STAY_SAMPLE stays; otherwise no verdict).
"""

import bisect
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce, Lead, RowNumber

from accounts.access import Actor, Principal
from accounts.models import CrmIdentity, User
from core.models import Organization
from deals.access import deal_get_visible, deal_list_visible
from deals.models import Deal, DealChange, DealField, DealStatus, ExchangeRate
from deals.services.rows import value_text
from deals.slips import deal_is_slipped, deals_pushed_changes, deals_slipped_q

__all__ = [
    "AtRiskDeal",
    "SlipFigure",
    "PipelineHygiene",
    "RateTable",
    "UnmatchedOwner",
    "deal_get_visible",
    "deal_history",
    "deal_is_slipped",
    "deal_list_at_risk_for_rep",
    "deal_list_unmatched_owners",
    "deal_list_visible",
    "deal_pipeline_counts",
    "deal_pipeline_hygiene",
    "deal_slip_figure",
    "deal_stage_stays",
    "deals_annotate_pipeline",
    "deals_slipped_q",
    "exchange_rates_load",
]

MIN_STAY_SAMPLE: Final = 5
USUAL_QUANTILE: Final = 0.75
STAY_WINDOW_DAYS: Final = 365
HYGIENE_ROWS: Final = 50  # per section; the deals list shows the rest with the same filter

REASONS: Final = (
    "no_compelling_deadline",
    "no_economic_buyer",
    "close_date_pushed",
    "stuck_in_stage",
    "close_date_passed",
)


def deals_annotate_pipeline(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Adds is_pushed (close date pushed, see module doc) and stage_since (when the deal
    entered its current stage: the last stage change, else its creation)."""
    # MAX over the (deal, field, changed_at, ...) index: a seek per deal. (ORDER BY … LIMIT 1
    # with a tie-breaker made SQLite sort per deal, 30 times slower on a 500-deal page.)
    last_stage_change = (
        DealChange.objects.filter(deal=OuterRef("pk"), field=DealField.STAGE)
        .values("deal")
        .annotate(last=Max("changed_at"))
        .values("last")
    )
    return deals.annotate(
        is_pushed=Exists(deals_pushed_changes()),
        stage_since=Coalesce(Subquery(last_stage_change), F("created_at")),
    )


@dataclass(frozen=True)
class StageStay:
    stage: str
    entered_at: dt.datetime
    left_at: dt.datetime | None  # None: still there

    def days(self, today: dt.date) -> int:
        end = self.left_at.date() if self.left_at else today
        return max((end - self.entered_at.date()).days, 0)


def _first_value(deal: Deal, name: str, changes: list[DealChange]) -> str:
    """A tracked field's value at the deal's creation (see DealChange): the old value of its
    first change, else its current value; '' when a first-recorded row already gives it."""
    if not changes:
        return value_text(name, getattr(deal, name))
    return changes[0].old_value


def deal_history(deal: Deal) -> list[DealChange]:
    """The deal's loaded `changes`, oldest first, led by its first values as unsaved rows dated
    at its creation (ingestion stores no row for them). Without a query."""
    stored = sorted(deal.changes.all(), key=lambda c: (c.changed_at, c.pk))
    first = []
    for name in DealField.values:
        value = _first_value(deal, name, [c for c in stored if c.field == name])
        if value:
            first.append(
                DealChange(deal=deal, field=name, new_value=value, changed_at=deal.created_at)
            )
    return first + stored


def deal_stage_stays(deal: Deal) -> list[StageStay]:
    """The stages a deal went through, from its loaded `changes`, oldest first."""
    entries = [(c.changed_at, c.new_value) for c in deal_history(deal) if c.field == "stage"]
    stays = []
    for i, (entered_at, stage) in enumerate(entries):
        left_at = entries[i + 1][0] if i + 1 < len(entries) else None
        if left_at is None and deal.closed_at is not None:
            left_at = max(deal.closed_at, entered_at)
        stays.append(StageStay(stage=stage, entered_at=entered_at, left_at=left_at))
    return stays


def _quantile(values: list[int], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def _usual_stay_days(team_ids: set[int | None], today: dt.date) -> dict[tuple[Any, str], float]:
    """(team id, stage) -> the 75th percentile of finished stays that began in the last year."""
    if not team_ids:
        return {}
    since = today - dt.timedelta(days=STAY_WINDOW_DAYS)
    team_q = Q(deal__owner__team_id__in=[t for t in team_ids if t is not None])
    if None in team_ids:
        team_q |= Q(deal__owner__isnull=False, deal__owner__team__isnull=True)
    order = [F("changed_at").asc(), F("pk").asc()]
    rows = (
        DealChange.objects.filter(team_q, field=DealField.STAGE, changed_at__date__gte=since)
        .annotate(
            left_at=Window(Lead("changed_at"), partition_by=[F("deal_id")], order_by=order),
            is_first=Window(RowNumber(), partition_by=[F("deal_id")], order_by=order),
        )
        .values_list(
            "deal__owner__team_id",
            "old_value",
            "new_value",
            "changed_at",
            "left_at",
            "is_first",
            "deal__created_at",
        )
    )
    stays: dict[tuple[Any, str], list[int]] = defaultdict(list)
    for team_id, old, stage, entered_at, left_at, number, created_at in rows:
        if left_at is not None:
            stays[(team_id, stage)].append((left_at.date() - entered_at.date()).days)
        # The stay in the stage the deal was created in has no row of its own (see DealChange):
        # it ends at the first change. Counted when it began in the window, like the others.
        if number == 1 and old and created_at.date() >= since:
            stays[(team_id, old)].append((entered_at.date() - created_at.date()).days)
    return {
        key: _quantile(days, USUAL_QUANTILE)
        for key, days in stays.items()
        if len(days) >= MIN_STAY_SAMPLE
    }


@dataclass(frozen=True)
class AtRiskDeal:
    deal: Deal
    reasons: list[str]
    days_in_stage: int = 0
    usual_days_in_stage: float | None = None


def _risk_reasons(
    deal: Any, today: dt.date, usual: dict[tuple[Any, str], float]
) -> tuple[list[str], int, float | None]:
    reasons = []
    if deal.has_compelling_deadline is not True:
        reasons.append("no_compelling_deadline")
    if deal.has_economic_buyer is not True:
        reasons.append("no_economic_buyer")
    if deal.is_pushed:
        reasons.append("close_date_pushed")
    days = max((today - deal.stage_since.date()).days, 0)
    team_id = deal.owner.team_id if deal.owner is not None else None
    usual_days = usual.get((team_id, deal.stage))
    if usual_days is not None and days > usual_days:
        reasons.append("stuck_in_stage")
    if deal.expected_close_date is not None and deal.expected_close_date < today:
        reasons.append("close_date_passed")
    return reasons, days, usual_days


def _assess_open(deals: QuerySet[Deal], today: dt.date) -> list[AtRiskDeal]:
    """Every open deal of `deals` with its reasons (possibly none). Three queries: the deals,
    the usual stays of their teams."""
    loaded = list(
        deals_annotate_pipeline(deals.filter(status=DealStatus.OPEN))
        .select_related("owner")
        .order_by("expected_close_date", "pk")
    )
    usual = _usual_stay_days(
        {d.owner.team_id if d.owner is not None else None for d in loaded}, today
    )
    assessed = []
    for deal in loaded:
        reasons, days, usual_days = _risk_reasons(deal, today, usual)
        assessed.append(AtRiskDeal(deal, reasons, days, usual_days))
    return assessed


def deal_list_at_risk_for_rep(*, rep: User, today: dt.date) -> list[AtRiskDeal]:
    """The rep's open deals with at least one risk reason, most reasons (then largest) first."""
    at_risk = [a for a in _assess_open(Deal.objects.filter(owner=rep), today) if a.reasons]
    at_risk.sort(key=lambda a: (-len(a.reasons), -a.deal.amount, a.deal.pk))
    return at_risk


@dataclass(frozen=True)
class SlipFigure:
    """Descriptive, not causal: how often slipped deals lacked the two qualification facts."""

    slipped: int
    slipped_lacking: int
    not_slipped: int
    not_slipped_lacking: int

    @property
    def slipped_share(self) -> float | None:
        return self.slipped_lacking / self.slipped if self.slipped else None

    @property
    def not_slipped_share(self) -> float | None:
        return self.not_slipped_lacking / self.not_slipped if self.not_slipped else None

    @property
    def slipped_percent(self) -> int | None:
        share = self.slipped_share
        return None if share is None else round(share * 100)


@dataclass
class PipelineHygiene:
    today: dt.date
    open_count: int
    missing_facts: list[AtRiskDeal] = field(default_factory=list)
    slipped: list[AtRiskDeal] = field(default_factory=list)
    stuck: list[AtRiskDeal] = field(default_factory=list)
    missing_facts_total: int = 0
    slipped_total: int = 0
    stuck_total: int = 0
    figure: SlipFigure | None = None


def deal_slip_figure(
    *, deals: QuerySet[Deal], today: dt.date, since: dt.date | None = None
) -> SlipFigure:
    """Over `deals` created since `since` (default: the last two years); one query.
    Descriptive: the org's own figure, never an industry number."""
    lacking = ~Q(has_compelling_deadline=True) | ~Q(has_economic_buyer=True)
    since = since if since is not None else today - dt.timedelta(days=730)
    # Grouped by the two facts, so that each is worked out once per deal (at most four rows).
    groups = (
        deals.filter(created_at__date__gte=since)
        .annotate(
            is_slipped=ExpressionWrapper(
                deals_slipped_q(today=today, over_many=True), output_field=BooleanField()
            ),
            is_lacking=ExpressionWrapper(lacking, output_field=BooleanField()),
        )
        .values("is_slipped", "is_lacking")
        .annotate(n=Count("pk"))
        .values_list("is_slipped", "is_lacking", "n")
        .order_by()
    )
    counts = {"slipped": 0, "slipped_lacking": 0, "total": 0, "lacking": 0}
    for is_slipped, is_lacking, n in groups:
        # A NULL (a comparison with a missing date) is false, as in a WHERE.
        counts["total"] += n
        counts["slipped"] += n if is_slipped else 0
        counts["lacking"] += n if is_lacking else 0
        counts["slipped_lacking"] += n if is_slipped and is_lacking else 0
    return SlipFigure(
        slipped=counts["slipped"],
        slipped_lacking=counts["slipped_lacking"],
        not_slipped=counts["total"] - counts["slipped"],
        not_slipped_lacking=counts["lacking"] - counts["slipped_lacking"],
    )


def deal_pipeline_hygiene(
    *, principal: Actor | Principal, today: dt.date, owner_ids: list[int] | None = None
) -> PipelineHygiene:
    """Open deals lacking a compelling deadline or economic-buyer access, slipped open deals,
    and deals stuck in their stage, among the deals `principal` sees. Four queries."""
    deals = deal_list_visible(principal=principal)
    if owner_ids is not None:
        deals = deals.filter(owner_id__in=owner_ids)
    assessed = _assess_open(deals, today)
    report = PipelineHygiene(today=today, open_count=len(assessed))
    missing = [
        a for a in assessed if {"no_compelling_deadline", "no_economic_buyer"} & set(a.reasons)
    ]
    slipped = [a for a in assessed if {"close_date_pushed", "close_date_passed"} & set(a.reasons)]
    stuck = sorted(
        (a for a in assessed if "stuck_in_stage" in a.reasons),
        key=lambda a: -(a.days_in_stage / (a.usual_days_in_stage or 1)),
    )
    missing.sort(key=lambda a: -a.deal.amount)
    report.missing_facts, report.missing_facts_total = missing[:HYGIENE_ROWS], len(missing)
    report.slipped, report.slipped_total = slipped[:HYGIENE_ROWS], len(slipped)
    report.stuck, report.stuck_total = stuck[:HYGIENE_ROWS], len(stuck)
    report.figure = deal_slip_figure(deals=deals, today=today)
    return report


@dataclass(frozen=True)
class PipelineCounts:
    open: int
    slipped: int
    lacking: int


def deal_pipeline_counts(*, principal: Actor | Principal, today: dt.date) -> PipelineCounts:
    """Open deals the principal sees, how many slipped, how many lack a compelling deadline or
    economic-buyer access. One query."""
    counts = (
        deal_list_visible(principal=principal)
        .filter(status=DealStatus.OPEN)
        .aggregate(
            open=Count("pk"),
            slipped=Count("pk", filter=deals_slipped_q(today=today)),
            lacking=Count(
                "pk", filter=~Q(has_compelling_deadline=True) | ~Q(has_economic_buyer=True)
            ),
        )
    )
    return PipelineCounts(**counts)


@dataclass(frozen=True)
class UnmatchedOwner:
    source: str
    owner_external_id: str
    deal_count: int
    open_count: int
    last_seen: dt.datetime
    known_user: User | None  # the person this owner now resolves to, if any


def deal_list_unmatched_owners() -> list[UnmatchedOwner]:
    """CRM owners with ownerless deals, most deals first. Three queries: the groups, the CRM
    identities and the users by email that now resolve them."""
    groups = list(
        Deal.objects.filter(owner__isnull=True)
        .values("source", "owner_external_id")
        .annotate(
            deal_count=Count("pk"),
            open_count=Count("pk", filter=Q(status=DealStatus.OPEN)),
            last_seen=Max("ingested_at"),
        )
        .values_list("source", "owner_external_id", "deal_count", "open_count", "last_seen")
        .order_by("-deal_count", "source", "owner_external_id")
    )
    owner_ids = {group[1] for group in groups}
    identities = {
        (i.source, i.owner_id): i.user
        for i in CrmIdentity.objects.filter(owner_id__in=owner_ids).select_related("user")
    }
    emails = {o.lower() for o in owner_ids if "@" in o}
    by_email = {u.email.lower(): u for u in User.objects.filter(email__in=emails, is_active=True)}
    return [
        UnmatchedOwner(
            source=source,
            owner_external_id=owner,
            deal_count=count,
            open_count=open_count,
            last_seen=last_seen,
            known_user=identities.get((source, owner)) or by_email.get(owner.lower()),
        )
        for source, owner, count, open_count, last_seen in groups
    ]


class RateTable:
    """Exchange rates loaded once; converts amounts to the home currency as of a date."""

    def __init__(self, home_currency: str, rates: dict[str, list[tuple[dt.date, Decimal]]]):
        self.home_currency = home_currency
        self._dates = {c: [d for d, _r in rs] for c, rs in rates.items()}
        self._rates = {c: [r for _d, r in rs] for c, rs in rates.items()}

    def rate(self, currency: str, on: dt.date) -> Decimal | None:
        """The rate valid on `on` (the latest from on or before it); None if there is none."""
        if currency == self.home_currency:
            return Decimal(1)
        dates = self._dates.get(currency)
        if not dates:
            return None
        at = bisect.bisect_right(dates, on) - 1
        return self._rates[currency][at] if at >= 0 else None

    def to_home(self, amount: Decimal, currency: str, on: dt.date) -> Decimal | None:
        rate = self.rate(currency, on)
        return None if rate is None else (amount * rate).quantize(Decimal("0.01"))


def exchange_rates_load() -> RateTable:
    """Two queries: the organisation's home currency and every rate."""
    rates: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for currency, valid_from, rate in ExchangeRate.objects.order_by(
        "currency", "valid_from"
    ).values_list("currency", "valid_from", "rate"):
        rates[currency].append((valid_from, rate))
    return RateTable(Organization.current().home_currency, dict(rates))


def deal_search(
    *, principal: Actor | Principal, words: tuple[str, ...], limit: int = 10
) -> list[Deal]:
    """Visible deals whose name or account holds every word (names are labels, not prose:
    a substring match, newest first). One query."""
    if not words:
        return []
    deals = deal_list_visible(principal=principal).select_related("owner")
    for word in words:
        deals = deals.filter(Q(name__icontains=word) | Q(account_name__icontains=word))
    return list(deals.order_by("-source_updated_at", "-pk")[:limit])
