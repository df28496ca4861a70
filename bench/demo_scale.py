"""Multiply the demo organisation's data in place, for the page benches (PostgreSQL only).

`scale_demo(url, factor)` adds factor - 1 copies of every rep of the seeded demo (same team,
manager and coaches), each with a copy of the original rep's deals and their history, CRM
activities (meetings, calls, emails; on the copied deal), tool seats held in person (team seats
reach the copies through their team), assignments, lesson progress, completions, and coaching
sessions with scorecards and scores. So at 10x the demo coach has ten times the coachees and the
sessions, the managers ten times the team, and the deals and activities tables ten times the
rows: what a signed-in person's pages have to cope with when the organisation grows, not just
rows nobody looks at.

Copies of sessions cannot sit at the original's time (a coach is never double-booked, an
exclusion constraint says so): each copy takes the first free quarter hour of the coach's
working day at or after the original start, moving on to the next day when the day is full.
Written with plain SQL through psycopg: a bench helper, not application code.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

import psycopg

DAY_START, DAY_END = 7, 20  # hours (UTC) in which copied sessions are placed


def scale_demo(url: str, factor: int) -> None:
    if factor <= 1:
        return
    with psycopg.connect(url) as conn:
        for k in range(1, factor):
            _copy(conn, k)
        conn.execute("ANALYZE")


def _copy(conn: psycopg.Connection, k: int) -> None:
    p = f"x{k}."
    conn.execute(
        """
        INSERT INTO accounts_user (password, last_login, is_superuser, email, full_name, role,
            hire_date, time_zone, language, is_active, is_staff, date_joined, manager_id, team_id)
        SELECT password, NULL, false, %(p)s || email, full_name || ' ' || %(k)s, role,
            hire_date, time_zone, language, is_active, false, date_joined, manager_id, team_id
        FROM accounts_user WHERE role = 'rep' AND email NOT LIKE 'x%%.%%'
        """,
        {"p": p, "k": str(k + 1)},
    )
    conn.execute("DROP TABLE IF EXISTS bench_user_map")
    conn.execute(
        """
        CREATE TEMP TABLE bench_user_map AS
        SELECT o.id AS old, n.id AS new FROM accounts_user o
        JOIN accounts_user n ON n.email = %(p)s || o.email
        """,
        {"p": p},
    )
    conn.execute(
        """
        INSERT INTO accounts_coachassignment (created_at, updated_at, coach_id, coachee_id)
        SELECT now(), now(), a.coach_id, m.new
        FROM accounts_coachassignment a JOIN bench_user_map m ON m.old = a.coachee_id
        """
    )
    deal_cols = (
        "source, owner_external_id, name, account_name, amount, currency, stage, status, "
        "created_at, expected_close_date, closed_at, loss_reason, has_compelling_deadline, "
        "has_economic_buyer, has_champion, has_decision_process, has_metrics, "
        "source_updated_at, ingested_at"
    )
    # Every deal is copied once per copy (a deal of someone who is not a rep keeps its owner).
    conn.execute(
        f"""
        INSERT INTO deals_deal ({deal_cols}, external_id, owner_id)
        SELECT {deal_cols}, external_id || %(s)s, coalesce(m.new, d.owner_id)
        FROM deals_deal d LEFT JOIN bench_user_map m ON m.old = d.owner_id
        WHERE d.external_id NOT LIKE '%%-x%%'
        """,
        {"s": f"-x{k}"},
    )
    conn.execute(
        """
        INSERT INTO deals_dealchange (field, old_value, new_value, changed_at, recorded_at, deal_id)
        SELECT c.field, c.old_value, c.new_value, c.changed_at, c.recorded_at, n.id
        FROM deals_dealchange c JOIN deals_deal o ON o.id = c.deal_id
        JOIN deals_deal n ON n.source = o.source AND n.external_id = o.external_id || %(s)s
        WHERE o.external_id NOT LIKE '%%-x%%'
        """,
        {"s": f"-x{k}"},
    )
    _copy_activities(conn, k)
    conn.execute(
        """
        INSERT INTO tools_toolseat (starts_on, ends_on, tool_id, user_id, team_id)
        SELECT s.starts_on, s.ends_on, s.tool_id, m.new, NULL
        FROM tools_toolseat s JOIN bench_user_map m ON m.old = s.user_id
        """
    )
    conn.execute(
        """
        INSERT INTO training_assignment (created_at, updated_at, due_date, assigned_by_id,
            assignee_id, team_id, course_id, program_id)
        SELECT a.created_at, a.updated_at, a.due_date, a.assigned_by_id, m.new, a.team_id,
            a.course_id, a.program_id
        FROM training_assignment a JOIN bench_user_map m ON m.old = a.assignee_id
        """
    )
    conn.execute(
        """
        INSERT INTO training_lessonprogress (last_viewed_at, completed_at, lesson_id, user_id)
        SELECT p.last_viewed_at, p.completed_at, p.lesson_id, m.new
        FROM training_lessonprogress p JOIN bench_user_map m ON m.old = p.user_id
        """
    )
    conn.execute(
        """
        INSERT INTO training_completion (created_at, updated_at, completed_at, score, source,
            certificate_code, user_id, course_id)
        SELECT c.created_at, c.updated_at, c.completed_at, c.score, c.source,
            left(c.certificate_code, 24) || %(s)s || m.new, m.new, c.course_id
        FROM training_completion c JOIN bench_user_map m ON m.old = c.user_id
        """,
        {"s": f"x{k}"},
    )
    _copy_sessions(conn)


def _copy_activities(conn: psycopg.Connection, k: int) -> None:
    """Every original activity once per copy, like the deals: a rep's on the copied rep, on the
    copy of its deal (an activity of someone who is not a rep keeps its owner)."""
    conn.execute(
        """
        INSERT INTO deals_activity (source, external_id, kind, owner_id, owner_external_id,
            deal_id, deal_external_id, occurred_at, duration_seconds, outcome,
            source_updated_at, ingested_at)
        SELECT a.source, a.external_id || %(s)s, a.kind, coalesce(m.new, a.owner_id),
            a.owner_external_id, n.id,
            CASE WHEN a.deal_external_id = '' THEN '' ELSE a.deal_external_id || %(s)s END,
            a.occurred_at, a.duration_seconds, a.outcome, a.source_updated_at, a.ingested_at
        FROM deals_activity a
        LEFT JOIN bench_user_map m ON m.old = a.owner_id
        LEFT JOIN deals_deal o ON o.id = a.deal_id
        LEFT JOIN deals_deal n ON n.source = o.source AND n.external_id = o.external_id || %(s)s
        WHERE a.external_id NOT LIKE '%%-x%%'
        """,
        {"s": f"-x{k}"},
    )


def _copy_sessions(conn: psycopg.Connection) -> None:
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for coach, start, end in conn.execute(
        'SELECT user_id, start, "end" FROM coaching_sessionparticipant p '
        "JOIN accounts_user u ON u.id = p.user_id WHERE u.role <> 'rep' AND p.is_active"
    ):
        busy[coach].append((start, end))
    for intervals in busy.values():
        intervals.sort()
    originals = conn.execute(
        """
        SELECT s.id, s.coach_id, m.new, s.start, s."end", s.status
        FROM coaching_coachingsession s JOIN bench_user_map m ON m.old = s.rep_id
        ORDER BY s.start
        """
    ).fetchall()
    placed: list[tuple[int, dt.datetime, dt.datetime]] = []
    rep_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for session_id, coach, rep, start, end, status in originals:
        new_start = start
        if status != "cancelled":
            new_start = _free_slot([busy[coach], rep_busy[rep]], start, end - start)
            bisect.insort(busy[coach], (new_start, new_start + (end - start)))
            bisect.insort(rep_busy[rep], (new_start, new_start + (end - start)))
        placed.append((session_id, new_start, new_start + (end - start)))
    conn.execute(
        "CREATE TEMP TABLE bench_session_place (old bigint, start timestamptz, finish timestamptz)"
    )
    with conn.cursor().copy("COPY bench_session_place FROM STDIN") as copy:
        for row in placed:
            copy.write_row(row)
    conn.execute(
        """
        CREATE TEMP TABLE bench_session_map AS
        WITH inserted AS (
            INSERT INTO coaching_coachingsession (created_at, updated_at, uid, kind, status, start,
                "end", location, agenda, notes, sequence, cancel_reason, cancelled_at,
                completed_at, reminder_sent_at, booked_by_id, cancelled_by_id, coach_id, rep_id,
                deal_id)
            SELECT s.created_at, s.updated_at, gen_random_uuid(), s.kind, s.status, pl.start,
                pl.finish, s.location, s.agenda || ' #' || pl.old, s.notes, s.sequence,
                s.cancel_reason, s.cancelled_at, s.completed_at, s.reminder_sent_at,
                s.booked_by_id, s.cancelled_by_id, s.coach_id, m.new, NULL
            FROM bench_session_place pl JOIN coaching_coachingsession s ON s.id = pl.old
            JOIN bench_user_map m ON m.old = s.rep_id
            RETURNING id, agenda
        )
        SELECT id AS new, split_part(agenda, ' #', -1)::bigint AS old FROM inserted
        """
    )
    conn.execute(
        """
        UPDATE coaching_coachingsession s SET agenda = o.agenda
        FROM bench_session_map sm JOIN coaching_coachingsession o ON o.id = sm.old
        WHERE s.id = sm.new
        """
    )
    conn.execute(
        """
        INSERT INTO coaching_sessionparticipant (start, "end", is_active, session_id, user_id)
        SELECT s.start, s."end", s.status <> 'cancelled', s.id, u.id
        FROM bench_session_map sm JOIN coaching_coachingsession s ON s.id = sm.new
        CROSS JOIN LATERAL (VALUES (s.coach_id), (s.rep_id)) AS u(id)
        """
    )
    conn.execute(
        """
        INSERT INTO coaching_scorecard (created_at, updated_at, notes, overall, rubric_id,
            scored_by_id, session_id)
        SELECT c.created_at, c.updated_at, c.notes, c.overall, c.rubric_id, c.scored_by_id, sm.new
        FROM coaching_scorecard c JOIN bench_session_map sm ON sm.old = c.session_id
        """
    )
    conn.execute(
        """
        INSERT INTO coaching_criterionscore (score, comment, criterion_id, scorecard_id)
        SELECT cs.score, cs.comment, cs.criterion_id, n.id
        FROM coaching_criterionscore cs JOIN coaching_scorecard o ON o.id = cs.scorecard_id
        JOIN bench_session_map sm ON sm.old = o.session_id
        JOIN coaching_scorecard n ON n.session_id = sm.new
        """
    )
    conn.execute("DROP TABLE bench_session_place")
    conn.execute("DROP TABLE bench_session_map")


def _free_slot(
    calendars: list[list[tuple[dt.datetime, dt.datetime]]],
    start: dt.datetime,
    length: dt.timedelta,
) -> dt.datetime:
    """The first quarter hour at or after `start`, inside working hours, where a session of
    `length` overlaps no interval of any of the calendars (each sorted, without overlaps)."""
    quarter = dt.timedelta(minutes=15)
    candidate = start
    while True:
        day_open = candidate.replace(hour=DAY_START, minute=0, second=0, microsecond=0)
        day_close = candidate.replace(hour=DAY_END, minute=0, second=0, microsecond=0)
        if candidate < day_open:
            candidate = day_open
        if candidate + length > day_close:
            candidate = day_open + dt.timedelta(days=1)
            continue
        clash = None
        for intervals in calendars:
            # Intervals do not overlap each other: only the last one starting before our end
            # can clash.
            i = bisect.bisect_left(intervals, (candidate + length,))
            if i and intervals[i - 1][1] > candidate:
                clash = intervals[i - 1][1]
                break
        if clash is None:
            return candidate
        candidate = max(candidate + quarter, clash)
