"""CRM pull throughput on PostgreSQL: the Salesforce connector against the bulk API.

In one run, on a database of its own (coachline_bench_connectors, created and dropped here):
  (a) reference: the 100,000 deal rows POSTed to /api/v1/deals/bulk in 10,000-row requests,
      through gunicorn on 127.0.0.1 (started and stopped here), as an integration would;
  (b) the same 100,000 opportunities pulled by the Salesforce connector from the fake
      Salesforce (tests/fakes/salesforce.py, in a process of its own on 127.0.0.1, 2,000
      records a page): token, SOQL pages via nextRecordsUrl with each opportunity's
      OpportunityFieldHistory (Histories subquery), mapping through the stage map, the next page
      fetched while the current batch is written, deals_ingest and the watermark per
      10,000-row batch.
Both start from an empty deals table. It prints rows/s for each and the ratio (b)/(a); the goal
is at least 0.5x.

Run: .venv/bin/python bench/connectors.py   (PostgreSQL on 127.0.0.1:5432, or set BENCH_PG_URL)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

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

DB_NAME = "coachline_bench_connectors"
DB_URL = f"{SERVER}/{DB_NAME}"
ROWS = 100_000
PER_REQUEST = 10_000
REPS = 200
GOAL = 0.5
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
OWNERS = [f"005B{i:014d}" for i in range(REPS)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seeded_fake() -> Any:
    from tests.fakes.salesforce import FakeSalesforce

    fake = FakeSalesforce()
    fake.seed(ROWS, start=START, owners=OWNERS)
    return fake


def _serve_fake(ready: Any, stop: Any) -> None:
    """The fake Salesforce in its own process, as the real one is on another machine: its
    JSON encoding does not compete with the connector for this process's GIL."""
    fake = _seeded_fake().start()
    ready.put(fake.url)
    stop.wait()
    fake.stop()


def _bulk_rows() -> list[dict[str, Any]]:
    """The rows the connector hands to deals_ingest, built from the same seeded opportunities."""
    from integrations.adapters.salesforce import SalesforceMapper
    from tests.fakes.salesforce import STAGE_MAP

    fake = _seeded_fake()
    fake.httpd.server_close()
    mapper = SalesforceMapper(
        stage_map=STAGE_MAP, field_map={}, default_currency="USD", multi_currency=True
    )
    rows = []
    for record in fake.opportunities.values():
        account = fake.accounts.get(record["AccountId"])
        rows.append(mapper.row({**record, "Account": {"Name": account} if account else None}))
    return rows


def _pull(fake_url: str) -> tuple[float, Any]:
    import json

    from integrations.models import CrmConnection
    from integrations.services.sync import connection_sync
    from tests.fakes import salesforce as fake_sf

    connection = CrmConnection.objects.create(
        source="salesforce",
        is_enabled=True,
        settings={
            "login_url": fake_url,
            "api_version": fake_sf.API_VERSION,
            "auth_flow": "client_credentials",
            "client_id": "3MVG9fake.consumer.key",
            "multi_currency": True,
        },
        credentials=json.dumps({"client_secret": "fake-consumer-secret"}),
        stage_map=fake_sf.STAGE_MAP,
    )
    start = time.perf_counter()
    run = connection_sync(connection_id=connection.pk)
    elapsed = time.perf_counter() - start
    return elapsed, run


def main() -> None:
    print(f"Preparing {ROWS:,} opportunities and database {DB_NAME} ...", flush=True)
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    server = None
    ctx = mp.get_context("fork")
    ready, stop = ctx.Queue(), ctx.Event()
    fake_process = ctx.Process(target=_serve_fake, args=(ready, stop), daemon=True)
    fake_process.start()
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=site_env(DB_URL),
            check=True,
        )
        key = reps_with_api_key(env=site_env(DB_URL), reps=REPS, owner_id=OWNERS.__getitem__)
        rows = _bulk_rows()
        bodies = [
            msgspec.json.encode(rows[i : i + PER_REQUEST]) for i in range(0, ROWS, PER_REQUEST)
        ]
        fake_url = ready.get(timeout=120)

        port = _free_port()
        server = gunicorn_start(port=port, env=site_env(DB_URL), root=ROOT)
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/v1/deals/bulk"
        post_all(url, key, [b"[]"])  # warm-up: the worker's first request imports the apps
        bulk_time, bulk_counts = post_all(url, key, bodies)
        assert bulk_counts["created"] == ROWS, bulk_counts
        server.terminate()
        server.wait(timeout=30)
        server = None

        deals_truncate(DB_URL)
        pull_time, run = _pull(fake_url)
        assert run is not None and run.status == "succeeded", run and run.error
        assert (run.created, run.errors, run.pages) == (ROWS, 0, ROWS // 2000), (
            run.created,
            run.errors,
            run.pages,
        )
    finally:
        stop.set()
        fake_process.join(timeout=30)
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    def rate(seconds: float) -> float:
        return ROWS / seconds

    print()
    print(f"{'':52}{'seconds':>10}{'rows/s':>12}")
    label_a = "(a) bulk API, 100k deals in 10k-row requests"
    label_b = "(b) Salesforce pull, 100k opportunities, 2k a page"
    print(f"{label_a:52}{bulk_time:>10.2f}{rate(bulk_time):>12,.0f}")
    print(f"{label_b:52}{pull_time:>10.2f}{rate(pull_time):>12,.0f}")
    print()
    print(f"(b)/(a) = {rate(pull_time) / rate(bulk_time):.2f}x   goal >= {GOAL}x")


if __name__ == "__main__":
    main()
