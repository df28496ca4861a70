"""Training pages: requests per second of the catalog and "My learning", against a plain view.

In one run, on a database of its own (a temporary SQLite file, or with --postgres a database
coachline_bench_training created and dropped here):
  - a realistic organisation: the starter library plus 57 more courses (63 in all, 8 lessons and
    a 5-question quiz each), a 3-course program, 300 reps in 15 teams; every rep is assigned the
    program and two courses, has progress on a few courses and some completions and ratings;
  - through Django's test client (the whole middleware stack: sessions, authentication, CSRF,
    locale, messages), signed in as one of those reps:
      * the reference: a plain login-required Django view that answers "ok";
      * for context, a login-required view that renders the site's base layout and nothing
        else (the floor of any page with the menu);
      * GET /learn/catalog/ and GET /learn/ (my learning);
    each measured in five interleaved rounds, median requests per CPU-second of this process
    (the server and SQLite run in it; CPU time ignores what other programs on a busy machine
    take from us, wall-clock time is printed beside it);
  - the ratio page / reference (the goal is at least 0.25) and each page's query count.

Run: .venv/bin/python bench/pages.py [--postgres]   (PostgreSQL: BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USE_PG = "--postgres" in sys.argv
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "coachline_bench_training"
EXTRA_COURSES = 57
LESSONS_PER_COURSE = 8
QUESTIONS_PER_QUIZ = 5
TEAMS, REPS_PER_TEAM = 15, 20
SECONDS_PER_ROUND = 1.5
ROUNDS = 5
GOAL_RATIO = 0.25
REFERENCE = "plain view (reference)"


def _setup_database() -> Callable[[], None]:
    """Point Django at a fresh database; returns the clean-up."""
    if USE_PG:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")

        return drop
    folder = tempfile.TemporaryDirectory(prefix="coachline-bench-training-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder.name}/bench.sqlite3"
    return folder.cleanup


def _bench_urlconf() -> str:
    """The site's URLs plus the reference view, as a module of their own."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpRequest, HttpResponse
    from django.shortcuts import render
    from django.urls import include, path

    @login_required
    def plain(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    @login_required
    def base(request: HttpRequest) -> HttpResponse:
        return render(request, "base.html")

    module = types.ModuleType("bench_training_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/plain/", plain),
        path("bench/base/", base),
        path("", include("config.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def _seed() -> Any:
    from accounts.models import Role, Team, User
    from training.demo import PROGRAM_SLUG, _program, load_library
    from training.models import (
        Assignment,
        Choice,
        Completion,
        Course,
        CourseRating,
        Lesson,
        LessonKind,
        LessonProgress,
        PublishStatus,
        Question,
    )

    rng = random.Random(11)
    load_library()
    program = _program()
    courses = Course.objects.bulk_create(
        Course(
            slug=f"bench-course-{n}",
            title=f"Bench course {n}: {rng.choice(['Negotiation', 'Forecasting', 'Prospecting'])}",
            summary="A course made up for the benchmark, with a summary of ordinary length "
            "that wraps onto a second and third line of its card in the catalog.",
            tags=rng.sample(["MEDDIC", "SPIN", "Challenger", "Discovery", "Negotiation"], 2),
            estimated_minutes=rng.randint(20, 60),
            status=PublishStatus.PUBLISHED,
        )
        for n in range(EXTRA_COURSES)
    )
    lessons = Lesson.objects.bulk_create(
        Lesson(
            course=course,
            slug=f"lesson-{i}",
            position=i,
            kind=LessonKind.QUIZ if i == LESSONS_PER_COURSE - 1 else LessonKind.METHOD,
            title=f"Lesson {i}",
            body="Text of the lesson. " * 40,
        )
        for course in courses
        for i in range(LESSONS_PER_COURSE)
    )
    questions = Question.objects.bulk_create(
        Question(lesson=lesson, position=q, prompt=f"Question {q}?", explanation="Because.")
        for lesson in lessons
        if lesson.kind == LessonKind.QUIZ
        for q in range(QUESTIONS_PER_QUIZ)
    )
    Choice.objects.bulk_create(
        Choice(question=question, position=c, text=f"Answer {c}", is_correct=c == 0)
        for question in questions
        for c in range(3)
    )
    all_courses = list(Course.objects.all())
    by_course: dict[int, list[Lesson]] = {}
    for lesson in Lesson.objects.all():
        by_course.setdefault(lesson.course_id, []).append(lesson)
    reps: list[User] = []
    for t in range(TEAMS):
        manager = User.objects.create_user(
            f"manager{t}@bench.example", "x", full_name=f"Manager {t}", role=Role.MANAGER
        )
        team = Team.objects.create(name=f"Team {t}", manager=manager)
        reps += User.objects.bulk_create(
            User(
                email=f"rep{t}-{r}@bench.example",
                full_name=f"Rep {t}-{r}",
                role=Role.REP,
                team=team,
                manager=manager,
            )
            for r in range(REPS_PER_TEAM)
        )
    today = dt.date.today()
    assignments, progress, completions, ratings = [], [], [], []
    for rep in reps:
        assignments.append(
            Assignment(assignee=rep, program=program, due_date=today + dt.timedelta(days=14))
        )
        for course in rng.sample(courses, 2):
            assignments.append(
                Assignment(
                    assignee=rep,
                    course=course,
                    due_date=today + dt.timedelta(days=rng.randint(-10, 30)),
                )
            )
        for course in rng.sample(all_courses, 6):
            done = by_course[course.pk][: rng.randint(1, 7)]
            progress += [
                LessonProgress(user=rep, lesson=lesson, completed_at=dt.datetime.now(dt.UTC))
                for lesson in done
            ]
        for course in rng.sample(all_courses, 4):
            completions.append(
                Completion(
                    user=rep,
                    course=course,
                    completed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=rng.randint(1, 500)),
                    score=Decimal(rng.randint(70, 100)),
                )
            )
            ratings.append(CourseRating(user=rep, course=course, stars=rng.randint(3, 5)))
    Assignment.objects.bulk_create(assignments)
    LessonProgress.objects.bulk_create(progress, ignore_conflicts=True)
    Completion.objects.bulk_create(completions, ignore_conflicts=True)
    CourseRating.objects.bulk_create(ratings, ignore_conflicts=True)
    assert program.slug == PROGRAM_SLUG
    return reps[0]


def _rps(client: Any, url: str, seconds: float) -> tuple[float, float]:
    """(requests per CPU-second of this process, requests per wall-clock second).

    CPU time is the figure to read: the server runs in this process (SQLite too), and it does
    not count the time other programs on a busy machine take from us; wall time does.
    """
    count, wall, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        response = client.get(url)
        count += 1
        if time.process_time() - cpu >= seconds:
            break
    assert response.status_code == 200, (url, response.status_code)
    return count / (time.process_time() - cpu), count / (time.perf_counter() - wall)


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def main() -> None:
    cleanup = _setup_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")  # static files without a manifest; see below
    import django

    django.setup()
    try:
        _run()
    finally:
        cleanup()


def _run() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0, skip_checks=True)
    started = time.perf_counter()
    rep = _seed()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"seeded in {time.perf_counter() - started:.1f} s ({engine})")

    # Production-like: no per-query logging (DEBUG is only on for the static files' storage).
    settings.DEBUG = False
    with override_settings(ROOT_URLCONF=_bench_urlconf(), ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(rep)
        pages = {
            REFERENCE: "/bench/plain/",
            "base layout page": "/bench/base/",
            "catalog": "/learn/catalog/",
            "my learning": "/learn/",
        }
        for url in pages.values():  # warm up: templates compiled, caches filled
            for _ in range(20):
                client.get(url)
        cpu: dict[str, list[float]] = {name: [] for name in pages}
        wall: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(ROUNDS):  # interleaved, so a busy spell hits every page alike
            for name, url in pages.items():
                by_cpu, by_wall = _rps(client, url, SECONDS_PER_ROUND)
                cpu[name].append(by_cpu)
                wall[name].append(by_wall)
        rps = {name: statistics.median(values) for name, values in cpu.items()}
        print(f"{'page':<26}{'req/s':>8}{'ratio':>8}{'wall req/s':>12}{'queries':>9}")
        for name, url in pages.items():
            ratio = rps[name] / rps[REFERENCE]
            goal = (
                ""
                if name in (REFERENCE, "base layout page")
                else ("  ok" if ratio >= GOAL_RATIO else "  below goal")
            )
            print(
                f"{name:<26}{rps[name]:>8.0f}{ratio:>8.2f}"
                f"{statistics.median(wall[name]):>12.0f}{_queries(client, url):>9}{goal}"
            )
        print(
            f"req/s per CPU-second of the serving process; goal: each page at least "
            f"{GOAL_RATIO:.2f} x the plain view"
        )


if __name__ == "__main__":
    main()
