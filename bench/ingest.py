"""Deals ingestion throughput on PostgreSQL: the real HTTP API against a COPY-based reference.

In one run, on a database of its own (coachline_bench, created and dropped here):
  (a) 100,000 new deals POSTed to /api/v1/deals/bulk in 10,000-row requests, through gunicorn on
      127.0.0.1 (started and stopped here): HTTP, API-key auth, JSON decoding, validation, owner
      resolution, COPY, upsert and history, exactly as an integration would see it;
  (b) the same 100,000 re-posted with 10% changed (stage, amount, a newer CRM time);
  (c) the reference: the same rows, already typed, COPY'd by psycopg straight into the staging
      table and written by the same guarded upsert-with-history statement, in one go.
It prints rows/s for each and the ratios (a)/(c) and (b)/(c); the goal is at least 0.3x.

Run: .venv/bin/python bench/ingest.py   (PostgreSQL on 127.0.0.1:5432, or set BENCH_PG_URL)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
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

SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "coachline_bench"
DB_URL = f"{SERVER}/{DB_NAME}"
ROWS = 100_000
PER_REQUEST = 10_000
CHANGED_SHARE = 0.10
REPS = 200
GOAL = 0.3
STAGES = ["Discovery", "Qualification", "Proposal", "Negotiation", "Commit"]


def _admin(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "API_THROTTLE_ANON": "100000/hour",
    }


def _rows(rng: random.Random) -> list[dict[str, Any]]:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(ROWS):
        created = base + dt.timedelta(minutes=rng.randrange(0, 500_000))
        status = rng.choice(["open", "open", "won", "lost"])
        closed = created + dt.timedelta(days=rng.randrange(20, 180)) if status != "open" else None
        rows.append(
            {
                "source": "salesforce",
                "external_id": f"006B{n:09d}",
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


def _setup_people() -> str:
    """Reps with CRM ids and an API key; returns the plain key."""
    import django

    os.environ.update(_env())
    django.setup()
    from accounts.models import CrmIdentity, Role, User
    from accounts.services import api_key_create

    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", full_name=f"Bench Rep {i}", role=Role.REP)
        for i in range(REPS)
    )
    CrmIdentity.objects.bulk_create(
        CrmIdentity(user=u, source="salesforce", owner_id=f"005B{i:05d}")
        for i, u in enumerate(users)
    )
    _key, raw = api_key_create(name="bench", scopes=["deals:write"])
    return raw


def _post_all(url: str, key: str, bodies: list[bytes]) -> tuple[float, dict[str, int]]:
    totals: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(timeout=600) as client:
        start = time.perf_counter()
        for body in bodies:
            response = client.post(url, content=body, headers=headers)
            response.raise_for_status()
            for name, value in response.json().items():
                if isinstance(value, int):
                    totals[name] = totals.get(name, 0) + value
                elif name == "errors" and value:
                    raise SystemExit(f"unexpected row errors: {value[:3]}")
        elapsed = time.perf_counter() - start
    return elapsed, totals


def _typed(rows: list[dict[str, Any]], owner_ids: dict[str, int]) -> list[tuple[Any, ...]]:
    """What the reference COPYs: rows already typed, in the staging column order."""

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
            None,
            None,
            None,
            ts(r["source_updated_at"]),
        )
        for r in rows
    ]


def _reference(typed: list[tuple[Any, ...]]) -> tuple[float, tuple[int, ...]]:
    from deals.services.ingest_postgres import ATTACH, CREATE_STAGE, LOCK, UPSERT, copy_rows

    with psycopg.connect(DB_URL) as conn:
        start = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(CREATE_STAGE)
            copy_rows(cur, typed)
            cur.execute(f"ANALYZE {'deals_ingest_stage'}")
            cur.execute(LOCK)
            cur.execute(UPSERT, {"now": dt.datetime.now(dt.UTC)})
            counts = cur.fetchone()
            cur.execute(ATTACH)
        elapsed = time.perf_counter() - start
    assert counts is not None
    return elapsed, tuple(counts)


def _truncate_deals() -> None:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("TRUNCATE deals_dealchange, deals_deal RESTART IDENTITY CASCADE")
        conn.execute("VACUUM ANALYZE deals_deal")
        conn.execute("VACUUM ANALYZE deals_dealchange")


def main() -> None:
    rng = random.Random(5)
    print(f"Preparing {ROWS:,} rows and database {DB_NAME} ...", flush=True)
    _admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DB_NAME}")
    server = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=_env(),
            check=True,
        )
        key = _setup_people()
        rows = _rows(rng)
        changed = _changed(rows, rng)
        chunks = [slice(i, i + PER_REQUEST) for i in range(0, ROWS, PER_REQUEST)]
        first_bodies = [msgspec.json.encode(rows[c]) for c in chunks]
        second_bodies = [msgspec.json.encode(changed[c]) for c in chunks]

        port = _free_port()
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=_env(),
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start")

        url = f"{base}/api/v1/deals/bulk"
        # Warm-up outside the timing: the worker's first request imports the URL conf and apps.
        _post_all(url, key, [b"[]"])
        a_time, a_counts = _post_all(url, key, first_bodies)
        b_time, b_counts = _post_all(url, key, second_bodies)
        assert a_counts["created"] == ROWS, a_counts
        assert b_counts["updated"] + b_counts["unchanged"] == ROWS, b_counts

        from accounts.models import CrmIdentity

        owner_ids = dict(CrmIdentity.objects.values_list("owner_id", "user_id"))
        typed_first = _typed(rows, owner_ids)
        typed_second = _typed(changed, owner_ids)
        _truncate_deals()
        c_time, c_counts = _reference(typed_first)
        c2_time, c2_counts = _reference(typed_second)
        assert c_counts[0] == ROWS, c_counts
        assert c2_counts[1] == b_counts["updated"], (c2_counts, b_counts)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    def rate(seconds: float) -> float:
        return ROWS / seconds

    print()
    print(f"{'':44}{'seconds':>10}{'rows/s':>12}")
    print(f"{'(a) API, 100k new deals':44}{a_time:>10.2f}{rate(a_time):>12,.0f}")
    print(f"{'(b) API, re-post with 10% changed':44}{b_time:>10.2f}{rate(b_time):>12,.0f}")
    print(f"{'(c) reference: COPY + upsert, 100k new':44}{c_time:>10.2f}{rate(c_time):>12,.0f}")
    label = "    (reference for the re-post, for context)"
    print(f"{label:44}{c2_time:>10.2f}{rate(c2_time):>12,.0f}")
    print()
    print(f"b counts: {b_counts}")
    ratio_a = rate(a_time) / rate(c_time)
    ratio_b = rate(b_time) / rate(c_time)
    print(f"(a)/(c) = {ratio_a:.2f}x   (b)/(c) = {ratio_b:.2f}x   goal >= {GOAL}x")
    print(f"(b)/(re-post reference) = {rate(b_time) / rate(c2_time):.2f}x")


if __name__ == "__main__":
    main()
