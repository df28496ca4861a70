"""A new session's agenda, prefilled from the rep's pipeline: the open deals that look at risk."""

import datetime as dt
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User
from deals.selectors import deal_list_at_risk_for_rep

# At most this many deals: an agenda is for one conversation, not a pipeline review.
MAX_DEALS = 8


def reason_labels() -> dict[str, str]:
    return {
        "no_compelling_deadline": _("no compelling deadline"),
        "no_economic_buyer": _("no access to the economic buyer"),
        "close_date_pushed": _("close date pushed"),
        "stuck_in_stage": _("stuck in stage"),
        "close_date_passed": _("close date passed"),
    }


def _amount(amount: Decimal) -> str:
    # Grouped in the language the agenda is written in: "154,600" / "154.600".
    return number_format(round(amount), 0, force_grouping=True)


def agenda_prefill(*, rep: User, today: dt.date) -> str:
    """Plain text, one line per deal at risk with its reasons; empty when nothing is at risk."""
    at_risk = deal_list_at_risk_for_rep(rep=rep, today=today)
    if not at_risk:
        return ""
    labels = reason_labels()
    lines = [_("Deals at risk to talk about:")]
    for item in at_risk[:MAX_DEALS]:
        deal = item.deal
        reasons = ", ".join(labels.get(reason, reason) for reason in item.reasons)
        lines.append(
            f"- {deal.name} ({deal.account_name}, {_amount(deal.amount)} {deal.currency}, "
            f"{deal.stage}): {reasons}"
        )
    if len(at_risk) > MAX_DEALS:
        lines.append(_("… and %(count)s more.") % {"count": len(at_risk) - MAX_DEALS})
    return "\n".join(lines)
