"""Checks on the data behind a report, said in words a sales leader reads (docs/roi.md, "When
the data is incomplete"):

- **freshness**: the deal data stops before the last complete month (an old export, a sync that
  stopped). The estimate is still shown, computed on the months the data covers; the report says
  when the data ends and what to do.
- **money that cannot be converted**: won deals without an exchange rate are counted and named;
  above the organisation's threshold (share of won deals, default 2%) the money headline (benefit,
  ROI) is withheld, because their value is unknown.
- **driven by a few deals**: beside every money headline, the same bookings estimate with every
  won deal capped at the 99th percentile of won deals' home-currency amounts (winsorised). A gap
  larger than the winsorised estimate's standard error is flagged, and the headline (estimate,
  interval, money, the dashboard's check) then uses the winsorised estimate.

No queries here: the refresh passes the panel and the analyses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from roi.estimators.did import Estimate
from roi.models import Metric, ReportStatus
from roi.reports import Analysis, ReportContext, analyse

# Won deals are capped at this percentile of their home-currency amounts for the robustness check.
WINSOR_PERCENTILE = 99.0
# The winsorised estimate differs from the raw one by more than this many of its standard errors:
# "driven by a few deals", and the headline uses the winsorised estimate. One standard error:
# more than chance separates them. On clean (if lumpy) deals the gap stays well inside it (half
# a standard error at most in bench/roi_coverage_db.py's seeds); one deal 50 times the median
# moves the raw estimate by one to four.
ROBUSTNESS_GAP_SE = 1.0
# The check needs the point estimate only; a few draws keep the refresh fast (when it flags, the
# winsorised headline gets the full number of draws).
ROBUSTNESS_DRAWS = 99


@dataclass(frozen=True)
class MoneyGate:
    """Whether the money headline may be shown, given the won deals without an exchange rate."""

    unconverted_won: int
    won: int
    share_pct: float | None
    max_share_pct: float
    currencies: tuple[tuple[str, int], ...]

    @property
    def is_withheld(self) -> bool:
        return self.share_pct is not None and self.share_pct > self.max_share_pct

    def basis(self, bookings: Analysis) -> Analysis:
        """The bookings analysis money is priced from: when withheld, priced as "no finding",
        which leaves only the cost and the break-even effect."""
        if not self.is_withheld:
            return bookings
        return replace(bookings, status=ReportStatus.COLLECTING)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unconverted_won_deals": self.unconverted_won,
            "won_deals": self.won,
            "share_pct": self.share_pct,
            "max_share_pct": self.max_share_pct,
            "currencies": [{"currency": c, "deals": n} for c, n in self.currencies],
            "is_withheld": self.is_withheld,
        }


def money_gate(bookings: Analysis, *, max_share_pct: float) -> MoneyGate:
    """The gate from the bookings analysis' sample (the reps inside its estimate)."""
    sample = bookings.sample
    return MoneyGate(
        unconverted_won=int(sample.get("unconverted_won_deals", 0)),
        won=int(sample.get("won_deals", 0)),
        share_pct=sample.get("unconverted_share_pct"),
        max_share_pct=max_share_pct,
        currencies=tuple(
            (row["currency"], int(row["deals"])) for row in sample.get("unconverted_currencies", [])
        ),
    )


def robustness_check(
    bookings: Analysis,
    *,
    context: ReportContext,
    first_treated: dict[int, int],
    assigned: dict[int, int] | None = None,
    audience: set[int] | None = None,
) -> tuple[Analysis, dict[str, Any] | None]:
    """The bookings analysis the headline and money rest on, and the robustness block beside
    it (None when there is no bookings finding or the panel was built without the cap).

    The estimate is computed again with won deals winsorised at WINSOR_PERCENTILE. When the two
    disagree (`is_driven_by_few_deals`), the headline is the winsorised estimate with its own
    full bootstrap interval: the raw interval is not to be trusted then (one 50x deal moves
    the estimate by more than its interval admits), and a program is judged on what it does
    to the run of deals, not on one deal that landed in a trained rep's month. If the
    winsorised estimate is no finding (gates, pre-trend), neither is the headline."""
    panel = context.panel
    headline = bookings.result.simple if bookings.result is not None else None
    if not bookings.is_ok or headline is None or panel.won_excess is None:
        return bookings, None
    capped_context = replace(
        context,
        panel=replace(
            panel,
            won_value=panel.won_value - panel.won_excess,
            won_excess=np.zeros_like(panel.won_value),
        ),
    )
    inputs: dict[str, Any] = {
        "subject": bookings.subject,
        "metric": Metric.BOOKINGS,
        "first_treated": first_treated,
        "assigned": assigned,
        "audience": audience,
    }
    again = analyse(**inputs, context=replace(capped_context, n_boot=ROBUSTNESS_DRAWS))
    simple = again.result.simple if again.result is not None else None
    if simple is None or not math.isfinite(simple.att):
        return bookings, None
    block = _robustness_block(headline, simple, cap=panel.winsor_cap)
    if not block["is_driven_by_few_deals"]:
        return bookings, block
    # The headline's own interval: the full number of draws, not the check's few.
    robust = analyse(**inputs, context=capped_context)
    return robust, block


def _robustness_block(raw: Estimate, winsorised: Estimate, *, cap: float | None) -> dict[str, Any]:
    gap = winsorised.att - raw.att
    # The winsorised estimate's standard error is the yardstick: the raw one is inflated by the
    # very deals in question (a 50x deal in a resampled rep widens every raw draw).
    threshold = ROBUSTNESS_GAP_SE * winsorised.se if math.isfinite(winsorised.se) else math.inf
    is_driven = bool(abs(gap) > threshold)
    return {
        "percentile": WINSOR_PERCENTILE,
        "cap": cap,
        "att": raw.att,
        "winsorised_att": winsorised.att,
        "winsorised_se": _finite_or_none(winsorised.se),
        "gap": gap,
        "gap_pct": abs(gap) / abs(raw.att) * 100.0 if raw.att else None,
        "threshold_pct": (
            threshold / abs(raw.att) * 100.0 if raw.att and math.isfinite(threshold) else None
        ),
        "is_driven_by_few_deals": is_driven,
        "is_headline_winsorised": is_driven,
    }


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def money_checks(
    bookings: Analysis,
    *,
    context: ReportContext,
    max_share_pct: float,
    first_treated: dict[int, int],
    assigned: dict[int, int] | None = None,
    audience: set[int] | None = None,
) -> tuple[MoneyGate, Analysis, dict[str, Any]]:
    """The money gate, the bookings analysis the headline rests on (raw, or winsorised when a
    few deals drive it; price money from `gate.basis(headline)`), and the payload entries of
    both checks that stand beside a money headline."""
    gate = money_gate(bookings, max_share_pct=max_share_pct)
    headline, robustness = robustness_check(
        bookings,
        context=context,
        first_treated=first_treated,
        assigned=assigned,
        audience=audience,
    )
    return gate, headline, {"money_gate": gate.as_dict(), "robustness": robustness}


def data_notes(payload: dict[str, Any]) -> list[str]:
    """What the reader must know about the data behind a report, in their language."""
    return freshness_notes(payload.get("coverage")) + money_notes(payload)


def freshness_notes(coverage: dict[str, Any] | None) -> list[str]:
    """Where the deal data ends, when that is before the last complete month."""
    coverage = coverage or {}
    sources = coverage.get("sources", [])
    notes = []
    for source in sources:
        if not source["is_stale"]:
            continue
        ends = source["data_as_of"][:7]
        if len(sources) > 1:
            notes.append(
                _("%(source)s deal data ends %(month)s; connect or re-import to update.")
                % {"source": source["source"], "month": ends}
            )
        else:
            notes.append(
                _("Deal data ends %(month)s; connect or re-import to update.") % {"month": ends}
            )
    if coverage.get("is_stale"):
        notes.append(
            _("The estimate uses the months up to %(month)s, the last the data covers.")
            % {"month": coverage["last_month"]}
        )
    return notes


def money_notes(payload: dict[str, Any]) -> list[str]:
    """Won deals without an exchange rate, money withheld for them, and the robustness flag."""
    notes = []
    gate = payload.get("money_gate") or {}
    if gate.get("unconverted_won_deals"):
        notes.append(unconverted_text(gate))
    if gate.get("is_withheld"):
        notes.append(
            _(
                "Benefit and ROI are withheld: more than %(max)s%% of won deals have no exchange "
                "rate, so their value is unknown. Add the missing rates to see them."
            )
            % {"max": _number(gate["max_share_pct"])}
        )
    robustness = payload.get("robustness") or {}
    if robustness.get("is_driven_by_few_deals"):
        notes.append(
            _(
                "Driven by a few deals: with each won deal capped at %(cap)s (the size only 1 "
                "deal in 100 exceeds), the effect on bookings is %(capped)s instead of %(att)s. "
                "The headline, its interval and the money use the capped figure."
            )
            % {
                "cap": _number(robustness["cap"] or 0.0),
                "capped": _number(robustness["winsorised_att"]),
                "att": _number(robustness["att"]),
            }
        )
    return notes


def unconverted_text(gate: dict[str, Any]) -> str:
    currencies = ", ".join(f"{row['currency']} ({row['deals']})" for row in gate["currencies"])
    return _(
        "%(n)s of %(won)s won deals (%(share)s%%) have no exchange rate on their close day "
        "(closed deals by currency: %(currencies)s). Bookings count each at the rep's average "
        "converted win, never as 0."
    ) % {
        "n": gate["unconverted_won_deals"],
        "won": gate["won_deals"],
        "share": _number(gate["share_pct"] or 0.0),
        "currencies": currencies or "—",
    }


def _number(value: float) -> str:
    return (
        str(int(value))
        if float(value).is_integer()
        else number_format(value, 1, force_grouping=True)
    )
