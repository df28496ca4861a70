"""What the throughput benches (ingest, connectors, webhooks, roi) share: the PostgreSQL server,
the environment the site runs with, reps with CRM ids and an API key, posting bodies to the bulk
API, and emptying the deals tables between rounds.

Each bench still creates and drops a database of its own; this module only holds the setup
they used to repeat. The benches' independent references stay in the benches.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet

SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
SECRET_KEY = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
FIELD_KEY = Fernet.generate_key().decode()  # bench data only, new every run


def admin_sql(sql: str) -> None:
    """One statement on the server's maintenance database (CREATE / DROP DATABASE)."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def site_env(db_url: str, *, redis_url: str = "", **extra: str) -> dict[str, str]:
    """The environment the site (gunicorn, a worker, or this process) runs with: production
    settings (DEBUG off) on the bench's own database, no rate limit in the way."""
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": FIELD_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": redis_url,
        "API_THROTTLE_ANON": "100000/hour",
        **extra,
    }


def reps_with_api_key(
    *, env: dict[str, str], reps: int, owner_id: Callable[[int], str], source: str = "salesforce"
) -> str:
    """Set Django up in this process (with `env`), create `reps` reps with CRM ids
    `owner_id(i)` and an API key that may write deals; returns the plain key."""
    import django

    os.environ.update(env)
    django.setup()
    from accounts.models import CrmIdentity, User
    from accounts.roles import Role
    from accounts.services import api_key_create

    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", full_name=f"Bench Rep {i}", role=Role.REP)
        for i in range(reps)
    )
    CrmIdentity.objects.bulk_create(
        CrmIdentity(user=u, source=source, owner_id=owner_id(i)) for i, u in enumerate(users)
    )
    _key, raw = api_key_create(name="bench", scopes=["deals:write"])
    return raw


def post_all(url: str, key: str, bodies: list[bytes]) -> tuple[float, dict[str, int]]:
    """POST each body in turn; seconds taken and the answers' counts added up. A row error
    stops the bench: the figures would not be comparable."""
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


def deals_truncate(db_url: str) -> None:
    """Empty deals and their history, and refresh the planner's statistics."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE deals_dealchange, deals_deal RESTART IDENTITY CASCADE")
        conn.execute("VACUUM ANALYZE deals_deal")
        conn.execute("VACUUM ANALYZE deals_dealchange")


def gunicorn_start(*, port: int, env: dict[str, str], root: Path) -> subprocess.Popen[bytes]:
    """The site in gunicorn (one worker, long timeout for 10,000-row bodies) on 127.0.0.1:`port`,
    answering /healthz; SystemExit if it does not start within 20 s."""
    server = subprocess.Popen(
        [
            str(root / ".venv/bin/gunicorn"),
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
        cwd=root,
        env=env,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")
