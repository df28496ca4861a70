"""Outgoing webhooks: real Celery worker, Redis and a loopback receiver, against a no-op task.

In one run, on a database of its own (coachline_perf_bench_webhooks, created and dropped here):
  - a receiver on 127.0.0.1:BENCH_RECEIVER_PORT (default 8702), a process of its own: minimal
    asyncio HTTP/1.1 with keep-alive that answers 200 to every POST and counts them;
  - one Celery worker (prefork, 2 processes, the machine's cores) on Redis db 7 (BENCH_REDIS_URL),
    on a queue of its own, with a result backend in the same db;
  - in ROUNDS interleaved rounds:
      (r) the reference: N `core.tasks.ping` tasks (no I/O, returns a string) sent and waited
          for: what the queue, the worker and the result backend cost per task;
      (w) N webhook deliveries of one event to one subscriber at the receiver, queued the way
          event_emit queues them (deliver_webhook.delay per delivery), timed until every
          delivery is recorded as succeeded: claim, load, sign, POST, record;
It prints tasks/s and deliveries/s, the ratio (w)/(r) per round and its median, and the load
average; the goal is at least 0.5x.

Run: .venv/bin/python bench/webhooks.py [--rounds N] [--count N]
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import SERVER, admin_sql, site_env  # noqa: E402

DB_NAME = "coachline_perf_bench_webhooks"
DB_URL = f"{SERVER}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
RECEIVER_PORT = int(os.environ.get("BENCH_RECEIVER_PORT", "8702"))
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
COUNT = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 1000
QUEUE = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
GOAL = 0.5
TIMEOUT = 300.0


def _env_webhooks() -> dict[str, str]:
    return site_env(
        DB_URL,
        redis_url=REDIS_URL,
        CELERY_RESULT_BACKEND=REDIS_URL,
        # The receiver is on loopback, which production refuses (events.destinations).
        WEBHOOKS_ALLOW_PRIVATE_URLS="true",
    )


# --- the receiver ---------------------------------------------------------------------------


def _receive(port: int, ready: Any, counter: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                with counter.get_lock():
                    counter.value += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the run --------------------------------------------------------------------------------


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def _reference(client: Any) -> float:
    start = time.perf_counter()
    results = [client.send_task("core.tasks.ping", args=["x"], queue=QUEUE) for _ in range(COUNT)]
    for result in results:
        assert result.get(timeout=TIMEOUT) == "pong:x"
    return time.perf_counter() - start


def _webhooks(subscription: Any) -> float:
    from events.models import DeliveryStatus, WebhookDelivery
    from events.tasks import deliver_webhook

    events = [uuid.uuid4() for _ in range(COUNT)]
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            event_id=event_id,
            event_type="course.completed",
            body=f'{{"id":"{event_id}","data":{{"course":"Discovery calls"}}}}',
        )
        for event_id in events
    )
    done = WebhookDelivery.objects.filter(
        pk__gte=min(d.pk for d in deliveries), status=DeliveryStatus.SUCCEEDED
    )
    start = time.perf_counter()
    for delivery in deliveries:
        deliver_webhook.apply_async((delivery.pk,), queue=QUEUE)
    _wait(lambda: done.count() == COUNT, "the deliveries")
    return time.perf_counter() - start


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    print(f"Preparing database {DB_NAME}, receiver and worker ... ({_load()})", flush=True)
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    ctx = mp.get_context("spawn")
    ready, counter = ctx.Event(), ctx.Value("l", 0)
    receiver = ctx.Process(target=_receive, args=(RECEIVER_PORT, ready, counter), daemon=True)
    worker = None
    client = None
    rounds: list[tuple[float, float]] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=_env_webhooks(),
            check=True,
        )
        os.environ.update(_env_webhooks())
        import django

        django.setup()
        from celery import Celery

        from events.models import EventType, WebhookSubscription

        receiver.start()
        if not ready.wait(10):
            raise SystemExit("the receiver did not start")
        subscription = WebhookSubscription.objects.create(
            name="bench receiver",
            url=f"http://127.0.0.1:{RECEIVER_PORT}/hook",
            event_types=[EventType.COURSE_COMPLETED],
            secret="whsec_bench",
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
             "--concurrency", "2", "--queues", QUEUE, "--loglevel", "WARNING",
             "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=_env_webhooks(),
        )  # fmt: skip
        client = Celery("coachline-bench-client", broker=REDIS_URL, backend=REDIS_URL)
        warm = client.send_task("core.tasks.ping", args=["warm"], queue=QUEUE)
        assert warm.get(timeout=120) == "pong:warm"
        for number in range(1, ROUNDS + 1):
            r_time = _reference(client)
            w_time = _webhooks(subscription)
            rounds.append((r_time, w_time))
            print(
                f"round {number}: no-op task {COUNT / r_time:,.0f}/s, webhook delivery "
                f"{COUNT / w_time:,.0f}/s ({r_time / w_time:.2f}x); {_load()}",
                flush=True,
            )
        received = counter.value
    finally:
        if client is not None:
            with client.connection_for_write() as conn:
                conn.default_channel.queue_delete(QUEUE)
            client.close()
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if receiver.is_alive():
            receiver.terminate()
            receiver.join(5)
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    assert received >= ROUNDS * COUNT, received
    r_median = statistics.median(r for r, _w in rounds)
    w_median = statistics.median(w for _r, w in rounds)
    ratio = statistics.median(r / w for r, w in rounds)
    print()
    print(f"medians over {len(rounds)} rounds of {COUNT:,}")
    print(f"{'(r) reference: no-op Celery task':44}{COUNT / r_median:>10,.0f} /s")
    print(f"{'(w) webhook delivery to a loopback receiver':44}{COUNT / w_median:>10,.0f} /s")
    print(f"(w)/(r) = {ratio:.2f}x   goal >= {GOAL}x   ({received:,} requests received)")
    print(_load())


if __name__ == "__main__":
    main()
