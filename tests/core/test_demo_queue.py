"""`make run` queues tasks for a real worker and beat through kombu's filesystem transport when
REDIS_URL is unset; without a broker tasks still run eagerly (and tests always do)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
from config.celery import app
print(json.dumps({
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "backend": settings.CELERY_RESULT_BACKEND,
    "options": getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None),
    "schedules": sorted({str(e["schedule"]) for e in app.conf.beat_schedule.values()}),
}))
"""


def _settings_with(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_filesystem_broker_queues_tasks_as_files_for_a_worker(tmp_path):
    queue = tmp_path / "celery"

    results = tmp_path / "results"
    found = _settings_with(
        tmp_path,
        CELERY_BROKER_URL="filesystem://",
        CELERY_FILESYSTEM_DIR=str(queue),
        CELERY_RESULTS_DIR=str(results),
    )

    assert found["broker"] == "filesystem://"
    assert found["eager"] is False
    assert found["options"] == {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(queue / "processed"),
        "store_processed": False,
    }
    assert (queue / "processed").is_dir()
    # the report refresh's chord hands its results over in files beside them (decision 0023)
    assert found["backend"] == f"file://{results}"
    assert results.is_dir()


def test_with_redis_the_results_go_to_the_same_redis():
    found = _settings_with(Path("."), REDIS_URL="redis://redis.example.com:6379/0")

    assert (found["broker"], found["backend"]) == ("redis://redis.example.com:6379/0",) * 2


def test_without_a_broker_tasks_run_eagerly_and_jobs_keep_their_times(tmp_path):
    found = _settings_with(tmp_path)

    assert (found["broker"], found["eager"], found["backend"]) == ("memory://", True, None)
    assert all(s.startswith("<crontab") for s in found["schedules"])


def test_the_demo_runs_every_timed_job_every_n_seconds(tmp_path):
    found = _settings_with(tmp_path, CELERY_BEAT_EVERY_SECONDS="120")

    assert found["schedules"] == ["0:02:00"]  # a timedelta: every job, every 2 minutes


def test_a_broker_that_is_neither_redis_nor_filesystem_stops_start_up(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_BROKER_URL": "amqp://x",
            "REDIS_URL": "",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be filesystem://" in result.stderr
