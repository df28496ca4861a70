"""Nothing is lost when a worker or Redis dies: real processes, killed for real.

Each test starts its own redis-server on a private port and its own Celery worker (and, for the
outage, gunicorn) against the test database, so the shared Redis is never touched. PostgreSQL
only: the worker is another process and must see what the test committed.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client

from accounts.roles import Role
from core.models import OutboxMessage
from deals.models import Deal, IngestJob
from tests.deals.factories import deal_row
from tests.factories import CrmIdentityFactory, UserFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a worker process must share the test database (CI runs this on PostgreSQL)")
    if not Path(REDIS_SERVER).exists():
        from tests.conftest import skip_or_fail

        skip_or_fail("redis-server is not installed")


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


class Processes:
    """Starts processes in their own process group; kills whatever is left at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Any:
        log = (self.tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append(process)
        return process

    def redis(self, port: int) -> Any:
        process = self.start(
            f"redis-{port}",
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
        )  # fmt: skip
        wait_for(lambda: _redis_ping(port), timeout=10, what=f"redis on {port}")
        return process

    def stop(self, process: Any, sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            os.killpg(process.pid, sig)  # the whole group: a prefork worker and its children
        process.wait(timeout=20)

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.close()


def _redis_ping(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def service_env(redis_port: int, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def worker_args(*extra: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
            "--without-heartbeat", "--without-mingle", "--without-gossip", *extra]  # fmt: skip


def test_a_worker_killed_mid_job_loses_no_chunk_and_counts_none_twice(
    processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery import Celery

    port = 8301
    processes.redis(port)
    env = service_env(port, INGEST_JOB_LEASE_SECONDS="2")
    client = Celery("coachline-test-client", broker=f"redis://127.0.0.1:{port}/0")
    # The test process runs Celery eagerly; its outbox publishes to the private Redis instead.
    monkeypatch.setattr(
        "core.outbox._publish", lambda message: client.send_task(message.task, args=message.args)
    )
    monkeypatch.setattr("deals.services.jobs.CHUNK_ROWS", 250)
    rows = [deal_row(n, owner_id="005KILL") for n in range(1, 10_001)]
    first = processes.start("worker-1", worker_args("--pool", "prefork", "--concurrency", "1"), env)

    # Given a 40-chunk job that a worker has started
    from deals.services.jobs import ingest_job_create

    job = ingest_job_create(rows=rows)
    wait_for(lambda: IngestJob.objects.get(pk=job.pk).chunks_done >= 3, timeout=40, what="3 chunks")

    # When the worker (parent and child) is killed without warning
    processes.stop(first, signal.SIGKILL)
    killed_at = IngestJob.objects.get(pk=job.pk)
    assert (killed_at.status, 3 <= killed_at.chunks_done < 40) == ("running", True)

    # Then another worker, prompted by the stuck-job sweep (beat runs it every minute), finishes
    processes.start("worker-2", worker_args("--pool", "solo"), env)

    def finished() -> bool:
        if IngestJob.objects.filter(pk=job.pk, status="done").exists():
            return True
        client.send_task("deals.tasks.requeue_stuck_ingest_jobs")  # what beat would do
        time.sleep(1)
        return False

    wait_for(finished, timeout=45, what="the job to finish on the second worker")
    job.refresh_from_db()
    assert (job.received, job.created, job.updated, job.unchanged, job.chunks_done) == (
        10_000,
        10_000,
        0,
        0,
        40,
    )
    assert (job.errors, Deal.objects.count()) == ([], 10_000)
    client.close()


def test_redis_down_during_a_request_answers_success_and_the_job_runs_when_it_returns(
    processes: Processes, tmp_path: Path
) -> None:
    redis_port, web_port = 8302, 8303
    redis_server = processes.redis(redis_port)
    env = service_env(redis_port, BULK_SYNC_MAX_ROWS="1", CELERY_BEAT_EVERY_SECONDS="1")
    processes.start(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{web_port}", "--workers", "1", "--timeout", "60"],
        env,
    )  # fmt: skip
    admin = UserFactory(role=Role.ADMIN, is_staff=True, email="outage-admin@example.com")
    CrmIdentityFactory(user=UserFactory(), source="salesforce", owner_id="005REP")
    django_client = Client()
    django_client.force_login(admin)
    base = f"http://127.0.0.1:{web_port}"
    web = httpx.Client(
        base_url=base,
        cookies={"sessionid": django_client.cookies["sessionid"].value},
        # The first publish against a dead Redis costs seconds (the client retries with backoff).
        timeout=30,
    )
    wait_for(lambda: _up(web), timeout=30, what="gunicorn")

    def csrf(path: str) -> str:
        page = web.get(path)
        assert page.status_code == 200, page.text[:500]
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match is not None
        return match.group(1)

    csv_text = (
        "Opportunity ID,Opportunity Name,Owner,Amount,Currency,Stage,Status,Created Date,"
        "Last Modified\n"
        + "".join(
            f"006OUT{n},Deal {n},005REP,1000,EUR,Proposal,open,2025-01-10,2025-03-01T09:00:00Z\n"
            for n in range(1, 6)
        )
    )
    uploaded = web.post(
        "/deals/import/",
        data={"source": "salesforce", "encoding": "utf-8",
              "csrfmiddlewaretoken": csrf("/deals/import/")},
        files={"file": ("deals.csv", csv_text.encode())},
    )  # fmt: skip
    assert uploaded.status_code == 302, uploaded.text[:500]
    map_url = uploaded.headers["location"]
    mapping = {
        "external_id": "Opportunity ID", "name": "Opportunity Name", "owner_id": "Owner",
        "amount": "Amount", "currency": "Currency", "stage": "Stage", "status": "Status",
        "created_at": "Created Date", "source_updated_at": "Last Modified",
    }  # fmt: skip
    token = csrf(map_url)

    # Given Redis dies while the import is being confirmed
    processes.stop(redis_server)
    response = web.post(map_url, data={**mapping, "csrfmiddlewaretoken": token})

    # Then the request succeeds, the job is committed and its message waits in the outbox
    assert response.status_code == 302, response.text[:500]
    job = IngestJob.objects.get()
    assert (job.status, job.received) == ("queued", 5)
    message = OutboxMessage.objects.get(task="deals.tasks.process_ingest_job")
    assert (message.args, message.published_at, message.attempts) == ([str(job.pk)], None, 1)
    assert web.get(response.headers["location"]).status_code == 200

    # When Redis comes back and a worker with beat is running, the job runs on its own
    processes.redis(redis_port)
    beat_schedule = str(tmp_path / "beat-schedule")
    processes.start("worker", worker_args("--pool", "solo", "-B", "-s", beat_schedule), env)
    wait_for(
        lambda: IngestJob.objects.filter(pk=job.pk, status="done").exists(),
        timeout=40,
        what="the job to run after Redis returned",
    )
    job.refresh_from_db()
    assert (job.created, job.errors) == (5, [])
    assert Deal.objects.filter(external_id__startswith="006OUT").count() == 5
    assert OutboxMessage.objects.get(pk=message.pk).published_at is not None
    web.close()


def _up(web: httpx.Client) -> bool:
    try:
        return web.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False
