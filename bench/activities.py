"""CRM activities ingestion throughput on PostgreSQL: the real HTTP API against an independent
reference, in the same run.

On a database of its own (coachline_effic_bench_activities, created and dropped here), with 200
reps (CRM owner ids) and 20,000 deals already stored:
  (r) the reference, sharing no code with Coachline: the 500,000 rows already typed, COPY'd by
      plain psycopg into a temporary staging table, then one upsert per 10,000 rows that finds
      each activity's deal (a join on the CRM deal id) and writes INSERT … ON CONFLICT DO UPDATE
      WHERE the CRM time is not older AND something differs;
  (a) the same 500,000 activities POSTed to /api/v1/activities/bulk in 10,000-row requests
      through gunicorn on 127.0.0.1 (started and stopped here): HTTP, API-key auth, JSON
      decoding, validation, owner resolution, COPY, upsert, as an integration sees it.
Both start from an empty activities table. It prints rows/s for each, the ratio (a)/(r) and the
load average; the goal is at least 0.3x.

Run: .venv/bin/python bench/activities.py   (PostgreSQL on 127.0.0.1:5432 or BENCH_PG_URL; the
server listens on BENCH_PORT, default 8901)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import msgspec
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import (  # noqa: E402 - after the path insert above
    SERVER,
    admin_sql,
    gunicorn_start,
    post_all,
    reps_with_api_key,
    site_env,
)

DB_NAME = "coachline_effic_bench_activities"
DB_URL = f"{SERVER}/{DB_NAME}"
PORT = int(os.environ.get("BENCH_PORT", "8901"))
ROWS = int(os.environ.get("BENCH_ACTIVITIES", "500000"))
PER_REQUEST = 10_000
REPS = 200
DEALS = 20_000
GOAL = 0.3
KINDS = ["meeting", "call", "email"]
OUTCOMES = ["Completed", "No show", "Left voicemail", "Connected", "Sent"]

REF_COLUMNS = (
    "source",
    "external_id",
    "kind",
    "owner_id",
    "owner_external_id",
    "deal_external_id",
    "occurred_at",
    "duration_seconds",
    "outcome",
    "source_updated_at",
)
REF_STAGE = """
CREATE TEMP TABLE ref_stage (
    source varchar(32), external_id varchar(128), kind varchar(8), owner_id bigint,
    owner_external_id varchar(254), deal_external_id varchar(128), occurred_at timestamptz,
    duration_seconds integer, outcome varchar(100), source_updated_at timestamptz
) ON COMMIT DROP
"""
REF_UPSERT = """
INSERT INTO deals_activity AS a (source, external_id, kind, owner_id, owner_external_id,
    deal_external_id, occurred_at, duration_seconds, outcome, source_updated_at, deal_id,
    ingested_at)
SELECT s.source, s.external_id, s.kind, s.owner_id, s.owner_external_id, s.deal_external_id,
    s.occurred_at, s.duration_seconds, s.outcome, s.source_updated_at, d.id, now()
FROM ref_stage s
LEFT JOIN deals_deal d ON d.source = s.source AND d.external_id = s.deal_external_id
ORDER BY s.source, s.external_id
ON CONFLICT (source, external_id) DO UPDATE SET
    kind = EXCLUDED.kind, owner_id = EXCLUDED.owner_id,
    owner_external_id = EXCLUDED.owner_external_id, deal_external_id = EXCLUDED.deal_external_id,
    occurred_at = EXCLUDED.occurred_at, duration_seconds = EXCLUDED.duration_seconds,
    outcome = EXCLUDED.outcome, source_updated_at = EXCLUDED.source_updated_at,
    deal_id = EXCLUDED.deal_id, ingested_at = EXCLUDED.ingested_at
WHERE a.source_updated_at <= EXCLUDED.source_updated_at
    AND (a.kind, a.owner_id, a.deal_id, a.occurred_at, a.duration_seconds, a.outcome)
        IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.owner_id, EXCLUDED.deal_id,
        EXCLUDED.occurred_at, EXCLUDED.duration_seconds, EXCLUDED.outcome)
"""


def _owner(i: int) -> str:
    return f"005A{i:05d}"


def _rows(rng: random.Random) -> list[dict[str, Any]]:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(ROWS):
        when = start + dt.timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        rows.append(
            {
                "source": "salesforce",
                "external_id": f"00U{n:09d}",
                "kind": KINDS[n % 3],
                "owner_id": _owner(rng.randrange(REPS)),
                "deal_external_id": f"006A{rng.randrange(DEALS):08d}",
                "occurred_at": when.isoformat(),
                "duration_seconds": rng.randrange(60, 3600),
                "outcome": OUTCOMES[n % len(OUTCOMES)],
                "source_updated_at": (when + dt.timedelta(hours=1)).isoformat(),
            }
        )
    return rows


def _typed(rows: list[dict[str, Any]], owner_ids: dict[str, int]) -> list[tuple[Any, ...]]:
    return [
        (
            r["source"],
            r["external_id"],
            r["kind"],
            owner_ids[r["owner_id"]],
            r["owner_id"],
            r["deal_external_id"],
            dt.datetime.fromisoformat(r["occurred_at"]),
            r["duration_seconds"],
            r["outcome"],
            dt.datetime.fromisoformat(r["source_updated_at"]),
        )
        for r in rows
    ]


def _seed_deals() -> None:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO deals_deal (source, external_id, owner_id, owner_external_id, name,
                account_name, amount, currency, stage, status, created_at, loss_reason,
                source_updated_at, ingested_at)
            SELECT 'salesforce', '006A' || lpad(i::text, 8, '0'), u.id, '', 'Deal ' || i, '',
                1000, 'USD', 'Discovery', 'open', now(), '', now(), now()
            FROM generate_series(0, %s - 1) AS i
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts_user) u
                ON u.n = i %% %s
            """,
            (DEALS, REPS),
        )
        conn.execute("ANALYZE deals_deal")


def _truncate() -> None:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("TRUNCATE deals_activity RESTART IDENTITY")
        conn.execute("VACUUM ANALYZE deals_activity")


def _reference(typed: list[tuple[Any, ...]]) -> float:
    with psycopg.connect(DB_URL) as conn:
        start = time.perf_counter()
        for at in range(0, len(typed), PER_REQUEST):
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(REF_STAGE)
                with cur.copy(f"COPY ref_stage ({', '.join(REF_COLUMNS)}) FROM STDIN") as copy:
                    for row in typed[at : at + PER_REQUEST]:
                        copy.write_row(row)
                cur.execute(REF_UPSERT)
        return time.perf_counter() - start


def _count() -> tuple[int, int]:
    with psycopg.connect(DB_URL) as conn:
        row = conn.execute(
            "SELECT count(*), count(deal_id) FROM deals_activity WHERE owner_id IS NOT NULL"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    rng = random.Random(16)
    print(f"Preparing {ROWS:,} activities and database {DB_NAME} ... ({_load()})", flush=True)
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    server = None
    try:
        import subprocess

        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=site_env(DB_URL),
            check=True,
        )
        key = reps_with_api_key(env=site_env(DB_URL), reps=REPS, owner_id=_owner)
        _seed_deals()
        from accounts.models import CrmIdentity

        owner_ids = dict(CrmIdentity.objects.values_list("owner_id", "user_id"))
        rows = _rows(rng)
        typed = _typed(rows, owner_ids)
        bodies = [
            msgspec.json.encode(rows[i : i + PER_REQUEST]) for i in range(0, ROWS, PER_REQUEST)
        ]
        del rows

        _truncate()
        r_time = _reference(typed)
        ref_counts = _count()

        server = gunicorn_start(port=PORT, env=site_env(DB_URL), root=ROOT)
        url = f"http://127.0.0.1:{PORT}/api/v1/activities/bulk"
        post_all(url, key, [b"[]"])  # warm-up
        _truncate()
        a_time, a_counts = post_all(url, key, bodies)
        api_counts = _count()
        assert a_counts["created"] == ROWS, a_counts
        assert api_counts == ref_counts == (ROWS, ROWS), (api_counts, ref_counts)
        ratio = r_time / a_time
        print(
            f"reference (COPY + upsert) {ROWS / r_time:,.0f} rows/s in {r_time:.1f} s; "
            f"API {ROWS / a_time:,.0f} rows/s in {a_time:.1f} s; ratio {ratio:.2f}x "
            f"(goal {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'}); {_load()}",
            flush=True,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
