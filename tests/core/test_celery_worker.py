"""The queue for real: a Celery worker process consumes a task from Redis and answers."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

pytestmark = pytest.mark.celery_worker
ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_a_real_worker_consumes_a_task_from_redis():
    if not _redis_up():
        skip_or_fail(f"Redis not reachable at {REDIS}")
    # The client side is its own Celery app, so nothing the other tests did to the project's app
    # (eager mode, a memory broker, a cached result backend) can leak into this round trip.
    from celery import Celery

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS,
        "CELERY_RESULT_BACKEND": REDIS,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)  # the worker only needs the broker for this task
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--concurrency", "1", "--loglevel", "WARNING",
         "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = Celery("coachline-test-client", broker=REDIS, backend=REDIS)
    try:
        result = client.send_task("core.tasks.ping", args=["hello"], queue=queue)

        assert result.get(timeout=60) == "pong:hello"
    finally:
        client.close()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
