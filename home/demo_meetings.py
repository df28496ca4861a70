"""Demo meetings: two years of CRM meetings on the demo deals, written after the ROI demo has
planted its training effect (seed_demo runs this step last).

Before most stage moves and wins of a deal there was a meeting a few days earlier (those
meetings advance their deal by the definition in deals.meetings); besides them every rep holds
meetings that lead nowhere. The team with the most reps trained on the inside-sales playbook
holds about half as many of those idle meetings from the month a rep completed the playbook:
its meetings advance deals more often after training, the story the efficiency page shows.
Idempotent: nothing happens when demo meetings exist.
"""

import datetime as dt
import random
from collections import Counter, defaultdict
from typing import Any

from django.utils import timezone

from accounts.models import User
from deals.models import Activity, ActivityKind, Deal, DealChange, DealField, DealStatus
from training.models import Completion

SOURCE = "demo"
PROGRAM_COURSE = "inside-sales-playbook"
IDLE_PER_MONTH = 3.0


def _first_completions(rep_ids: list[int]) -> dict[int, dt.date]:
    first: dict[int, dt.date] = {}
    for user_id, at in Completion.objects.filter(
        user_id__in=rep_ids, course__slug=PROGRAM_COURSE
    ).values_list("user_id", "completed_at"):
        day = at.date().replace(day=1)
        first[user_id] = min(first.get(user_id, day), day)
    return first


def seed(org: Any, rng: random.Random) -> None:
    if Activity.objects.filter(source__startswith=SOURCE).exists():
        return
    now = timezone.now()
    # Every demo deal's owner: the org's reps and the ROI demo's inside-sales team.
    owners = Deal.objects.filter(source__startswith=SOURCE).values("owner_id")
    reps = {rep.pk: rep for rep in User.objects.filter(pk__in=owners)}
    trained = _first_completions(list(reps))
    by_team = Counter(reps[pk].team_id for pk in trained if reps[pk].team_id)
    trained_team = by_team.most_common(1)[0][0] if by_team else None
    deals = list(
        Deal.objects.filter(source__startswith=SOURCE, owner_id__in=list(reps)).values_list(
            "pk", "source", "external_id", "owner_id", "created_at", "closed_at", "status"
        )
    )
    moves: dict[int, list[dt.datetime]] = defaultdict(list)
    for deal_id, changed_at in DealChange.objects.filter(
        deal__source__startswith=SOURCE, field=DealField.STAGE
    ).values_list("deal_id", "changed_at"):
        moves[deal_id].append(changed_at)
    activities: list[Activity] = []
    owner_deals: dict[int, list[tuple[int, str, str, dt.datetime]]] = defaultdict(list)

    def meeting(
        deal_id: int, source: str, external_id: str, owner_id: int, at: dt.datetime
    ) -> None:
        activities.append(
            Activity(
                source=source,
                external_id=f"M{len(activities) + 1:07d}",
                kind=ActivityKind.MEETING,
                owner_id=owner_id,
                owner_external_id=reps[owner_id].email,
                deal_id=deal_id,
                deal_external_id=external_id,
                occurred_at=at,
                duration_seconds=rng.choice([1800, 2700, 3600]),
                outcome="Completed",
                source_updated_at=at,
            )
        )

    for deal_id, source, external_id, owner_id, created_at, closed_at, status in deals:
        owner_deals[owner_id].append((deal_id, source, external_id, created_at))
        events = list(moves.get(deal_id, []))
        if status == DealStatus.WON and closed_at is not None:
            events.append(closed_at)
        for when in events:
            if rng.random() < 0.7:
                at = when - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
                if at > created_at:
                    meeting(deal_id, source, external_id, owner_id, at)
    # Meetings that lead nowhere: on an open deal of the rep, with no move in the next weeks.
    for owner_id, rep_deals in owner_deals.items():
        rep = reps[owner_id]
        first = trained.get(owner_id)
        for deal_id, source, external_id, created_at in rep_deals:
            quiet = created_at + dt.timedelta(days=rng.randint(2, 20))
            if quiet >= now or any(
                quiet < m <= quiet + dt.timedelta(days=30) for m in moves.get(deal_id, [])
            ):
                continue
            improved = rep.team_id == trained_team and first is not None and quiet.date() >= first
            rate = IDLE_PER_MONTH / 4 * (0.5 if improved else 1.0)
            if rng.random() < rate:
                meeting(deal_id, source, external_id, owner_id, quiet)
    Activity.objects.bulk_create(activities, batch_size=1000)
