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
  larger than ROBUSTNESS_GAP of the effect (or of its standard error, if larger) is flagged.

No queries here: the refresh passes the panel and the analyses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from roi.models import Metric, ReportStatus
from roi.reports import Analysis, ReportContext, analyse

# Won deals are capped at this percentile of their home-currency amounts for the robustness check.
WINSOR_PERCENTILE = 99.0
# The winsorised estimate differs from the headline by more than this share of the headline
# effect (or of its standard error, when the effect is smaller than that): "driven by a few
# deals". A quarter: a leader would decide differently on an effect a quarter smaller.
ROBUSTNESS_GAP = 0.25
# The check needs the point estimate only; a few draws keep the refresh fast.
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
) -> dict[str, Any] | None:
    """The bookings estimate again with won deals winsorised at WINSOR_PERCENTILE; None when
    there is no bookings finding or the panel was built without the cap."""
    panel = context.panel
    headline = bookings.result.simple if bookings.result is not None else None
    if not bookings.is_ok or headline is None or panel.won_excess is None:
        return None
    capped = replace(
        panel,
        won_value=panel.won_value - panel.won_excess,
        won_excess=np.zeros_like(panel.won_value),
    )
    again = analyse(
        subject=bookings.subject,
        metric=Metric.BOOKINGS,
        context=replace(context, panel=capped, n_boot=ROBUSTNESS_DRAWS),
        first_treated=first_treated,
        assigned=assigned,
        audience=audience,
    )
    simple = again.result.simple if again.result is not None else None
    if simple is None or not math.isfinite(simple.att):
        return None
    gap = simple.att - headline.att
    scale = max(abs(headline.att), headline.se if math.isfinite(headline.se) else 0.0)
    return {
        "percentile": WINSOR_PERCENTILE,
        "cap": panel.winsor_cap,
        "att": headline.att,
        "winsorised_att": simple.att,
        "gap": gap,
        "gap_pct": abs(gap) / abs(headline.att) * 100.0 if headline.att else None,
        "threshold_pct": ROBUSTNESS_GAP * 100.0,
        "is_driven_by_few_deals": bool(scale > 0 and abs(gap) > ROBUSTNESS_GAP * scale),
    }


def money_checks(
    bookings: Analysis,
    *,
    context: ReportContext,
    max_share_pct: float,
    first_treated: dict[int, int],
    assigned: dict[int, int] | None = None,
    audience: set[int] | None = None,
) -> tuple[MoneyGate, dict[str, Any]]:
    """The money gate (price money from `gate.basis(bookings)`) and the payload entries of both
    checks that stand beside a money headline."""
    gate = money_gate(bookings, max_share_pct=max_share_pct)
    robustness = robustness_check(
        bookings,
        context=context,
        first_treated=first_treated,
        assigned=assigned,
        audience=audience,
    )
    return gate, {"money_gate": gate.as_dict(), "robustness": robustness}


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
                "deal in 100 exceeds), the effect on bookings is %(capped)s instead of %(att)s."
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
    return str(int(value)) if float(value).is_integer() else f"{value:,.1f}"
