"""Smoke test of the generated Python client (.ci/api-clients) against a running server:
list courses, upsert users and deals in bulk, book (idempotently) and cancel a session, read
an impact report. Reads API_BASE_URL and API_KEY (a key with every scope)."""

import datetime as dt
import os
import sys
import uuid
from typing import Any

from coachline_api_client import AuthenticatedClient
from coachline_api_client.api.coaching import coaching_sessions_cancel, coaching_sessions_create
from coachline_api_client.api.courses import courses_list
from coachline_api_client.api.deals import deals_bulk_upsert
from coachline_api_client.api.programs import programs_list
from coachline_api_client.api.roi import roi_programs_impact_retrieve
from coachline_api_client.api.users import users_bulk_upsert, users_list
from coachline_api_client.models import (
    DealBulkRowRequest,
    DealStatusEnum,
    Error,
    RoleEnum,
    SessionCancelRequest,
    SessionCreateRequest,
    SessionKindEnum,
    SessionStatusEnum,
    UserBulkRowRequest,
)


def parsed(response: Any, status: int = 200) -> Any:
    if response.status_code != status or response.parsed is None:
        sys.exit(f"expected {status}, got {response.status_code}: {response.content[:500]!r}")
    if isinstance(response.parsed, Error):
        sys.exit(f"error answer: {response.parsed}")
    return response.parsed


def main() -> None:
    client = AuthenticatedClient(base_url=os.environ["API_BASE_URL"], token=os.environ["API_KEY"])
    run = uuid.uuid4().hex[:10]

    courses = parsed(courses_list.sync_detailed(client=client, page_size=100))
    assert courses.count > 0 and courses.results[0].slug, "no courses"

    coach_email, rep_email = f"py-coach-{run}@example.com", f"py-rep-{run}@example.com"
    coach_row = UserBulkRowRequest(email=coach_email, full_name="Py Coach", role=RoleEnum.COACH)
    rep_row = UserBulkRowRequest(
        email=rep_email,
        full_name="Py Rep",
        role=RoleEnum.REP,
        coach_email=coach_email,
        time_zone="Europe/Berlin",
    )
    for row in (coach_row, rep_row):
        result = parsed(users_bulk_upsert.sync_detailed(client=client, body=[row]))
        assert (result.created, result.errors) == (1, []), result
    ids: dict[str, int] = {}
    page = 1
    while True:
        people = parsed(users_list.sync_detailed(client=client, page_size=500, page=page))
        ids.update({u.email: u.id for u in people.results})
        if not people.next_:
            break
        page += 1

    now = dt.datetime.now(dt.UTC)
    deal = DealBulkRowRequest(
        source="ci-smoke",
        external_id=f"py-{run}",
        owner_email=rep_email,
        name="Smoke deal",
        amount="1200.00",
        currency="EUR",
        stage="Discovery",
        status=DealStatusEnum.OPEN,
        created_at=now - dt.timedelta(days=3),
        source_updated_at=now,
    )
    deals = parsed(deals_bulk_upsert.sync_detailed(client=client, body=[deal]))
    assert (deals.created, deals.errors) == (1, []), deals

    start = (now + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    booking = SessionCreateRequest(
        rep_id=ids[rep_email],
        coach_id=ids[coach_email],
        kind=SessionKindEnum.ONE_ON_ONE,
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    key = f"py-smoke-{run}"
    session = parsed(
        coaching_sessions_create.sync_detailed(client=client, body=booking, idempotency_key=key),
        201,
    )
    again = coaching_sessions_create.sync_detailed(client=client, body=booking, idempotency_key=key)
    assert parsed(again, 201).id == session.id and again.headers["Idempotent-Replayed"] == "true"
    cancelled = parsed(
        coaching_sessions_cancel.sync_detailed(
            id=session.id, client=client, body=SessionCancelRequest(reason="CI smoke test")
        )
    )
    assert cancelled.status == SessionStatusEnum.CANCELLED, cancelled

    programs = parsed(programs_list.sync_detailed(client=client))
    assert programs.results, "no programs"
    impact = parsed(
        roi_programs_impact_retrieve.sync_detailed(slug=programs.results[0].slug, client=client)
    )
    print(
        f"python client: {courses.count} courses, users and a deal upserted, session "
        f"{session.id} booked once and cancelled, impact of {impact.subject}: {impact.status}"
    )


if __name__ == "__main__":
    main()
