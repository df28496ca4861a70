"""`make run`: the dev server with the timed jobs beside it, a Celery worker and beat.

Without REDIS_URL the three processes share kombu's filesystem transport (CELERY_BROKER_URL=
filesystem://, files under var/celery), so nothing but Python is needed. Beat runs every periodic
job every --beat-every seconds, so reminders, commitment checks and report refreshes happen while
someone looks at the demo. Ctrl-C (or the server exiting) stops all three.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the demo with a Celery worker and beat beside the dev server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--beat-every", type=int, default=120, help="seconds between runs of each timed job"
        )

    def handle(self, *args: Any, addrport: str, beat_every: int, **options: Any) -> None:
        var = Path(settings.BASE_DIR) / "var"
        (var / "log").mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if not env.get("REDIS_URL"):
            env.setdefault("CELERY_BROKER_URL", "filesystem://")
        env["CELERY_BEAT_EVERY_SECONDS"] = str(beat_every)
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        # The filesystem transport has no broadcast: no gossip, mingle or remote control.
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        logs: list[IO[bytes]] = []
        jobs: list[subprocess.Popen[bytes]] = []
        worker = [*celery, "worker", "--loglevel", "INFO", "--concurrency", "1", *quiet]
        beat = [*celery, "beat", "--loglevel", "INFO", "--schedule", str(var / "beat-schedule")]
        try:
            for name, command in (("worker", worker), ("beat", beat)):
                log = open(var / "log" / f"{name}.log", "ab")  # noqa: SIM115 - closed below
                logs.append(log)
                jobs.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
            self.stdout.write(
                f"Timed jobs every {beat_every}s: Celery worker and beat; their logs (and the "
                f"emails they send) are in {var / 'log'}. Ctrl-C stops everything."
            )
            server = subprocess.Popen([sys.executable, "manage.py", "runserver", addrport], env=env)
            jobs.insert(0, server)
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for job in jobs:
                job.terminate()
            for job in jobs:
                try:
                    job.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    job.kill()
            for file in logs:
                file.close()
