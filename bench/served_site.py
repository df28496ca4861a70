"""What the HTTP benches share: demo databases at 1x and 10x, the site in gunicorn, signed-in
cookies and an API key, and wrk as the load generator.

- `prepare_databases(prefix, scales)`: a fresh PostgreSQL database per scale: the 1x one is
  migrated and seeded with `seed_demo`, logins are made there (sessions in the database, so the
  cookies work in every copy), then each larger scale is a copy of it multiplied in place
  (bench/demo_scale.py).
- `Gunicorn(db_url)`: the site as deployed (DEBUG=false, gunicorn --workers 2, PostgreSQL) with
  bench_settings, whose URLconf adds the hello-world reference view; stopped on exit.
- `wrk(...)`: the load generator, a C program (apt `wrk`), so the client takes little of the
  two cores from the server; a Lua script reports p50 and p95 and the non-2xx answers.

Loopback only; every run is bounded by its duration.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PORT", "8610"))
BASE = f"http://127.0.0.1:{PORT}"
SECRET = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"
FIELD_KEY = Fernet.generate_key().decode()  # bench data only
DEMO = "demo.coachline.app"


def site_env(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "FIELD_ENCRYPTION_KEY": FIELD_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{BENCH}{os.pathsep}{ROOT}",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://",
    }


def _admin(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def drop_databases(names: list[str]) -> None:
    for name in names:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@dataclasses.dataclass
class Logins:
    """Session cookies by user email, an API key, and the ids the URLs need."""

    cookies: dict[str, str]
    api_key: str
    ids: dict[str, Any]


def prepare_databases(prefix: str, scales: list[int], extra_reps: int = 0) -> Logins:
    """Seed `{prefix}_1x`, sign people in there, copy it to `{prefix}_{n}x` and multiply."""
    from demo_scale import scale_demo

    base = f"{prefix}_1x"
    drop_databases([f"{prefix}_{n}x" for n in scales])
    _admin(f"CREATE DATABASE {base}")
    env = site_env(f"{SERVER}/{base}")
    for command in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    logins = _make_logins(env, extra_reps)
    for n in scales:
        if n == 1:
            continue
        _admin(f"CREATE DATABASE {prefix}_{n}x TEMPLATE {base}")
        scale_demo(f"{SERVER}/{prefix}_{n}x", n)
    return logins


_LOGIN_SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client
from accounts.models import ApiKey, User
from accounts.roles import Role
from accounts.services import api_key_create
from training.models import Course, Lesson, Program
from roi.models import ReportSnapshot

extra = int(sys.argv[1])
emails = [f"{r}@DEMO" for r in ("rep", "coach", "manager", "leader", "admin")]
emails += list(
    User.objects.filter(role=Role.REP).exclude(email__in=emails).order_by("pk")
    .values_list("email", flat=True)[:extra]
)
cookies = {}
for email in emails:
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookies[email] = client.cookies["sessionid"].value
key, raw = api_key_create(
    name="bench", scopes=["deals:read", "coaching:read", "users:read", "training:read"]
)
ApiKey.objects.filter(pk=key.pk).update(requests_per_hour=2_000_000_000)
lesson = Lesson.objects.filter(course__status="published", status="published").select_related(
    "course").order_by("course__pk", "position").first()
rep = User.objects.get(email=f"rep@DEMO")
ids = {
    "course": lesson.course.slug,
    "lesson": lesson.slug,
    "program": Program.objects.order_by("pk").values_list("slug", flat=True).first(),
    "team": rep.team_id,
    "rep": rep.pk,
}
print(json.dumps({"cookies": cookies, "api_key": raw, "ids": ids}))
""".replace("DEMO", DEMO)


def _make_logins(env: dict[str, str], extra_reps: int) -> Logins:
    out = subprocess.run(
        [sys.executable, "-c", _LOGIN_SCRIPT, str(extra_reps)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return Logins(cookies=data["cookies"], api_key=data["api_key"], ids=data["ids"])


class Gunicorn:
    """gunicorn --workers 2 serving the site on 127.0.0.1:PORT; a context manager."""

    def __init__(self, db_url: str, workers: int = 2) -> None:
        self.db_url = db_url
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{PORT}",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=site_env(self.db_url),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        # Two minutes: on the shared machine at a load average of 20 and more, importing the
        # site in two workers has taken longer than one.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{BASE}/bench/hello/", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        log = Path(self.log.name).read_text()[-2000:]  # before __exit__ closes (deletes) it
        self.__exit__()
        raise SystemExit("gunicorn did not start: " + log)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def check_page(path: str, headers: dict[str, str]) -> int:
    """Status of one GET (a page that redirects to the login is a mistake in the bench)."""
    response = httpx.get(f"{BASE}{path}", headers=headers, timeout=60)
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return len(response.content)


@dataclasses.dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p95_ms: float
    requests: int
    non_2xx: int
    errors: int


_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %.3f %.3f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(
    path: str,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 8,
    seconds: float = 3,
    script: str = "",
) -> WrkResult:
    """Load `path` with `connections` concurrent keep-alive clients for `seconds`."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script + _REPORT)
        lua.flush()
        args = [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
        ]
        args += ["-s", lua.name]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [*args, f"{BASE}{path}"], capture_output=True, text=True, check=True
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, duration_us, p50, p95, non_2xx, errors = line.split()[1:]
    return WrkResult(
        rps=int(requests) / (int(duration_us) / 1e6),
        p50_ms=float(p50),
        p95_ms=float(p95),
        requests=int(requests),
        non_2xx=int(non_2xx),
        errors=int(errors),
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"
