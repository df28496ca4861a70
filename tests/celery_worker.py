"""A real Celery worker process on the test Redis, for the queue's integration tests."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def worker_database_url() -> str:
    """The URL of the test database, for a worker process that must share it (PostgreSQL)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(
    *, queue: str, database_url: str | None, concurrency: int = 1, env: dict[str, str] | None = None
) -> Iterator[Any]:
    """A real worker process on `queue` of the test Redis; yields a client app publishing to it.
    The client side is its own Celery app, so nothing the other tests did to the project's app
    (eager mode, a memory broker, a cached result backend) can leak into the round trip. With
    `concurrency` above 1 the worker forks that many processes (prefork, as deployed). Tasks the
    worker sends itself (a chord's members) go to `queue` too: it is the worker's default queue."""
    if not redis_up():
        skip_or_fail(f"Redis not reachable at {REDIS}")
    from celery import Celery

    worker_env = {
        **os.environ,
        "REDIS_URL": REDIS,
        "CELERY_RESULT_BACKEND": REDIS,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **(env or {}),
    }
    worker_env.pop("DATABASE_URL", None)
    if database_url is not None:
        worker_env["DATABASE_URL"] = database_url
    pool = ["--pool", "solo"] if concurrency == 1 else ["--pool", "prefork"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", *pool,
         "--queues", queue, "--concurrency", str(concurrency), "--loglevel", "WARNING",
         "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = Celery("coachline-test-client", broker=REDIS, backend=REDIS)
    try:
        yield client
    finally:
        client.close()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
