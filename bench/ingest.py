"""Deals ingestion throughput on PostgreSQL: the real HTTP API against an independent reference.

In one run, on a database of its own (coachline_perf_bench_ingest, created and dropped here), in
ROUNDS interleaved rounds, each starting from an empty deals table:
  (r) the reference, written here and sharing no code with Coachline: the rows, already typed,
      COPY'd by plain psycopg into a temporary staging table, then one guarded upsert
      (INSERT … ON CONFLICT DO UPDATE WHERE the CRM time is not older AND something differs)
      that also writes one history row per changed tracked field of a stored deal; in the same
      10,000-row transactions as the API, fresh (100,000 new deals) then re-sync (the same rows
      with 10% changed: stage, amount, a newer CRM time);
  (a) the same 100,000 new deals POSTed to /api/v1/deals/bulk in 10,000-row requests through
      gunicorn on 127.0.0.1 (started and stopped here): HTTP, API-key auth, JSON decoding,
      validation, owner resolution, COPY, upsert and history, as an integration sees it;
  (b) the re-sync POSTed the same way.
Then, once: a 50,000-row body POSTed with ?async=true must answer 202 in under 0.5 s (the
broker is Redis db 7, BENCH_REDIS_URL; the job is then processed here and its message purged).
It prints rows/s, the ratios (a)/(r fresh) and (b)/(r re-sync) per round and their medians, and
the load average; the goal is at least 0.5x.

Run: .venv/bin/python bench/ingest.py [--rounds N]   (PostgreSQL on 127.0.0.1:5432 or
BENCH_PG_URL; the server listens on BENCH_PORT, default 8701)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import (  # noqa: E402 - after the path insert above
    SERVER,
    admin_sql,
    deals_truncate,
    gunicorn_start,
    post_all,
    reps_with_api_key,
    site_env,
)

DB_NAME = "coachline_perf_bench_ingest"
DB_URL = f"{SERVER}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PORT = int(os.environ.get("BENCH_PORT", "8701"))
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
ROWS = 100_000
PER_REQUEST = 10_000
ASYNC_ROWS = 50_000
CHANGED_SHARE = 0.10
REPS = 200
GOAL = 0.5
ASYNC_GOAL_SECONDS = 0.5
STAGES = ["Discovery", "Qualification", "Proposal", "Negotiation", "Commit"]


def _rows(rng: random.Random, count: int, prefix: str = "006B") -> list[dict[str, Any]]:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(count):
        created = base + dt.timedelta(minutes=rng.randrange(0, 500_000))
        status = rng.choice(["open", "open", "won", "lost"])
        closed = created + dt.timedelta(days=rng.randrange(20, 180)) if status != "open" else None
        rows.append(
            {
                "source": "salesforce",
                "external_id": f"{prefix}{n:09d}",
                "owner_id": f"005B{rng.randrange(REPS):05d}",
                "name": f"Bench deal {n}",
                "account_name": f"Account {rng.randrange(20_000)}",
                "amount": f"{rng.randrange(1_000, 250_000)}.00",
                "currency": rng.choice(["USD", "EUR", "GBP"]),
                "stage": "Closed" if closed else rng.choice(STAGES),
                "status": status,
                "created_at": created.isoformat(),
                "expected_close_date": (created + dt.timedelta(days=90)).date().isoformat(),
                "closed_at": closed.isoformat() if closed else None,
                "loss_reason": "Budget" if status == "lost" else "",
                "has_compelling_deadline": rng.random() < 0.5,
                "has_economic_buyer": rng.random() < 0.5,
                "source_updated_at": (created + dt.timedelta(days=1)).isoformat(),
            }
        )
    return rows


def _changed(rows: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if rng.random() < CHANGED_SHARE:
            later = dt.datetime.fromisoformat(row["source_updated_at"]) + dt.timedelta(days=3)
            row = {
                **row,
                "stage": rng.choice(STAGES) + " (moved)",
                "amount": f"{rng.randrange(1_000, 250_000)}.00",
                "source_updated_at": later.isoformat(),
            }
        out.append(row)
    return out


# --- the independent reference ----------------------------------------------------------------

REF_COLUMNS = (
    "source",
    "external_id",
    "owner_id",
    "owner_external_id",
    "name",
    "account_name",
    "amount",
    "currency",
    "stage",
    "status",
    "created_at",
    "expected_close_date",
    "closed_at",
    "loss_reason",
    "has_compelling_deadline",
    "has_economic_buyer",
    "source_updated_at",
)
# The column types come from the deals table itself (the model's migration), not restated here.
REF_STAGE = f"""
CREATE TEMP TABLE ref_stage ON COMMIT DROP AS
SELECT {", ".join(REF_COLUMNS)} FROM deals_deal WITH NO DATA
"""
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in REF_COLUMNS[2:])
_MINE = ", ".join(f"d.{c}" for c in REF_COLUMNS[2:])
_THEIRS = ", ".join(f"EXCLUDED.{c}" for c in REF_COLUMNS[2:])
# The stored rows are locked first, in id order: a FOR UPDATE inside the upsert's own statement
# would skip rows that statement has already updated. Every sub-statement then sees the snapshot
# from before the upsert, so `old` holds the stored values and `up` the written ones.
REF_LOCK = """
SELECT d.id FROM deals_deal d JOIN ref_stage s USING (source, external_id)
ORDER BY d.id FOR UPDATE OF d
"""
REF_UPSERT = f"""
WITH old AS (
    SELECT d.id, d.stage, d.status, d.amount, d.expected_close_date
    FROM deals_deal d JOIN ref_stage s USING (source, external_id)
),
up AS (
    INSERT INTO deals_deal AS d ({", ".join(REF_COLUMNS)}, has_champion, has_decision_process,
        has_metrics, ingested_at)
    SELECT {", ".join(REF_COLUMNS)}, NULL, NULL, NULL, now() FROM ref_stage
    ON CONFLICT (source, external_id) DO UPDATE SET {_SET}, ingested_at = now()
    WHERE d.source_updated_at <= EXCLUDED.source_updated_at
        AND ({_MINE}) IS DISTINCT FROM ({_THEIRS})
    RETURNING d.id, d.stage, d.status, d.amount, d.expected_close_date, d.source_updated_at
)
INSERT INTO deals_dealchange (deal_id, field, old_value, new_value, changed_at, recorded_at)
SELECT up.id, f.field, coalesce(f.old, ''), coalesce(f.new, ''), up.source_updated_at, now()
FROM up JOIN old ON old.id = up.id
CROSS JOIN LATERAL (VALUES
    ('stage', old.stage, up.stage),
    ('status', old.status, up.status),
    ('amount', old.amount::text, up.amount::text),
    ('expected_close_date', old.expected_close_date::text, up.expected_close_date::text)
) AS f(field, old, new)
WHERE f.old IS DISTINCT FROM f.new
"""


def _typed(rows: list[dict[str, Any]], owner_ids: dict[str, int]) -> list[tuple[Any, ...]]:
    """What the reference COPYs: rows already typed, in REF_COLUMNS order."""

    def ts(value: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(value) if value else None

    return [
        (
            r["source"],
            r["external_id"],
            owner_ids[r["owner_id"]],
            r["owner_id"],
            r["name"],
            r["account_name"],
            Decimal(r["amount"]),
            r["currency"],
            r["stage"],
            r["status"],
            ts(r["created_at"]),
            dt.date.fromisoformat(r["expected_close_date"]),
            ts(r["closed_at"]),
            r["loss_reason"],
            r["has_compelling_deadline"],
            r["has_economic_buyer"],
            ts(r["source_updated_at"]),
        )
        for r in rows
    ]


def _reference(typed: list[tuple[Any, ...]]) -> tuple[float, int]:
    """Seconds, and history rows written."""
    history = 0
    with psycopg.connect(DB_URL) as conn:
        start = time.perf_counter()
        for at in range(0, len(typed), PER_REQUEST):
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(REF_STAGE)
                with cur.copy(f"COPY ref_stage ({', '.join(REF_COLUMNS)}) FROM STDIN") as copy:
                    for row in typed[at : at + PER_REQUEST]:
                        copy.write_row(row)
                cur.execute(REF_LOCK)
                cur.execute(REF_UPSERT)
                history += cur.rowcount
        elapsed = time.perf_counter() - start
    return elapsed, history


def _history_count() -> int:
    with psycopg.connect(DB_URL) as conn:
        row = conn.execute("SELECT count(*) FROM deals_dealchange").fetchone()
    assert row is not None
    return int(row[0])


def _start_server(redis_url: str) -> subprocess.Popen[bytes]:
    return gunicorn_start(port=PORT, env=site_env(DB_URL, redis_url=redis_url), root=ROOT)


def _stop(server: subprocess.Popen[bytes] | None) -> None:
    if server is not None:
        server.terminate()
        server.wait(timeout=30)


def _async_answer(key: str, body: bytes) -> float:
    """Seconds until the 202 of an async job; the job is then processed here, as a worker
    would, its counts checked, and its queued message purged from the bench's Redis db."""
    from config.celery import app
    from deals.models import IngestJob, IngestJobStatus
    from deals.services.jobs import ingest_job_process

    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{PORT}/api/v1/deals/bulk?async=true"
    with httpx.Client(timeout=600) as client:
        client.post(url, content=b"[]", headers=headers).raise_for_status()  # warm-up
        start = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        elapsed = time.perf_counter() - start
    assert response.status_code == 202, response.text
    app.conf.broker_url = REDIS_URL
    with app.connection_for_write() as conn:
        app.control.purge(connection=conn)
    for job in IngestJob.objects.all():
        ingest_job_process(job_id=job.pk)
    job = IngestJob.objects.get(pk=response.json()["job"])
    assert job.status == IngestJobStatus.DONE, job.status
    assert job.created == ASYNC_ROWS, (job.created, job.errors[:3])
    return elapsed


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    rng = random.Random(5)
    print(f"Preparing {ROWS:,} rows and database {DB_NAME} ... ({_load()})", flush=True)
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    server = None
    rounds: list[dict[str, float]] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=site_env(DB_URL),
            check=True,
        )
        key = reps_with_api_key(env=site_env(DB_URL), reps=REPS, owner_id=lambda i: f"005B{i:05d}")
        rows = _rows(rng, ROWS)
        changed = _changed(rows, rng)
        chunks = [slice(i, i + PER_REQUEST) for i in range(0, ROWS, PER_REQUEST)]
        first_bodies = [msgspec.json.encode(rows[c]) for c in chunks]
        second_bodies = [msgspec.json.encode(changed[c]) for c in chunks]
        from accounts.models import CrmIdentity

        owner_ids = dict(CrmIdentity.objects.values_list("owner_id", "user_id"))
        typed_first = _typed(rows, owner_ids)
        typed_second = _typed(changed, owner_ids)

        server = _start_server("")
        url = f"http://127.0.0.1:{PORT}/api/v1/deals/bulk"
        post_all(url, key, [b"[]"])  # warm-up: the worker's first request imports the apps
        for number in range(1, ROUNDS + 1):
            deals_truncate(DB_URL)
            r_time, r_hist = _reference(typed_first)
            r2_time, r2_hist = _reference(typed_second)
            ref_history = _history_count()
            deals_truncate(DB_URL)
            a_time, a_counts = post_all(url, key, first_bodies)
            a_history = _history_count()
            b_time, b_counts = post_all(url, key, second_bodies)
            api_history = _history_count()
            assert a_counts["created"] == ROWS, a_counts
            assert b_counts["updated"] + b_counts["unchanged"] == ROWS, b_counts
            # Same work on both sides: no history for new deals, one row per changed field.
            assert r_hist == a_history == 0, (r_hist, a_history)
            assert r2_hist == ref_history == api_history, (r2_hist, ref_history, api_history)
            figures = {
                "r": r_time,
                "r2": r2_time,
                "a": a_time,
                "b": b_time,
                "fresh": r_time / a_time,
                "resync": r2_time / b_time,
            }
            rounds.append(figures)
            print(
                f"round {number}: reference fresh {ROWS / r_time:,.0f} rows/s, API fresh "
                f"{ROWS / a_time:,.0f} rows/s ({figures['fresh']:.2f}x); reference re-sync "
                f"{ROWS / r2_time:,.0f} rows/s, API re-sync {ROWS / b_time:,.0f} rows/s "
                f"({figures['resync']:.2f}x); {b_counts['updated']:,} updated, "
                f"{api_history:,} history rows; {_load()}",
                flush=True,
            )
        _stop(server)
        server = _start_server(REDIS_URL)
        deals_truncate(DB_URL)
        async_body = msgspec.json.encode(_rows(rng, ASYNC_ROWS, prefix="006C"))
        async_seconds = _async_answer(key, async_body)
    finally:
        _stop(server)
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    def median(name: str) -> float:
        return statistics.median(r[name] for r in rounds)

    print()
    print(f"medians over {len(rounds)} rounds{'':16}{'seconds':>10}{'rows/s':>12}")
    for label, name in (
        ("(r) reference: COPY + upsert, 100k new", "r"),
        ("(a) API, 100k new deals", "a"),
        ("(r) reference: re-sync, 10% changed", "r2"),
        ("(b) API, re-sync, 10% changed", "b"),
    ):
        print(f"{label:44}{median(name):>10.2f}{ROWS / median(name):>12,.0f}")
    print()
    print(
        f"fresh (a)/(r) = {median('fresh'):.2f}x   re-sync (b)/(r) = {median('resync'):.2f}x   "
        f"goal >= {GOAL}x"
    )
    verdict = "ok" if async_seconds < ASYNC_GOAL_SECONDS else "over the goal"
    print(
        f"async: {ASYNC_ROWS:,} rows answered 202 in {async_seconds:.3f} s "
        f"(goal < {ASYNC_GOAL_SECONDS} s: {verdict})"
    )
    print(_load())


if __name__ == "__main__":
    main()
