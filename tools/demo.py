"""Demo tool stack: a typical sales stack in USD, with seats by team.

The Commercial team works as the SDR team and holds the whole stack, about $564 per rep-month
(CRM, sequencing, data, dialer, conferencing: the figure one published tally gives for a typical
SDR stack); Mid-Market holds CRM, data and conferencing; the Enterprise teams CRM and
conferencing. Idempotent: tools are upserted by name through tools_upsert.
"""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from tools.services import tools_upsert

STACK = [
    # name, category, monthly cost per seat (USD), teams holding seats
    ("Salesforce Sales Cloud", "crm", "165", "all"),
    ("Outreach", "engagement", "130", ("Commercial",)),
    ("ZoomInfo", "data", "125", ("Commercial", "Mid-Market")),
    ("Orum", "dialer", "110", ("Commercial",)),
    ("Zoom", "conferencing", "34", "all"),
]


def seed(org: Any, rng: random.Random) -> None:
    start = (timezone.localdate() - dt.timedelta(days=2 * 366)).replace(day=1).isoformat()
    teams = [team.name for team in org.teams]
    rows = [
        {
            "name": name,
            "category": category,
            "pricing": "per_seat",
            "monthly_cost": cost,
            "currency": "USD",
            "starts_on": start,
            "seats": [
                {"team": team, "starts_on": start}
                for team in teams
                if holders == "all" or team in holders
            ],
        }
        for name, category, cost, holders in STACK
    ]
    result = tools_upsert(rows=rows)
    if result.errors:
        raise RuntimeError(f"demo tools refused: {result.errors}")
