"""The search page: full text over training content (PostgreSQL text search or SQLite FTS5),
deals and people, each narrowed by the access policy; bad input is a 400 with a message."""

import pytest
from django.db import connection

from core.search import highlighted, search_terms_parse
from tests.deals.factories import DealFactory
from tests.training.factories import (
    AssignmentFactory,
    CourseFactory,
    LessonFactory,
    ProgramFactory,
    StoryLessonFactory,
)
from training.models import PublishStatus
from training.services.search_index import search_index_ensure

pytestmark = pytest.mark.django_db


def _search(client, user, q):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get("/search/", {"q": q})


def test_economic_buyer_finds_the_lesson_with_that_title(cast, client):
    course = CourseFactory(title="Qualifying with MEDDIC")
    LessonFactory(course=course, title="Economic buyer", body="Who signs, and **why** now.")
    LessonFactory(course=course, title="Metrics", body="Numbers the customer cares about.")

    response = _search(client, cast.rep, "economic buyer")

    assert response.status_code == 200
    lessons = response.context["results"].training.lessons
    assert [lesson.title for lesson in lessons] == ["Economic buyer"]
    assert b"Qualifying with MEDDIC" in response.content


def test_lesson_bodies_and_stories_are_searched_and_ranked(cast, client):
    course = CourseFactory(title="Discovery")
    in_body = LessonFactory(course=course, title="Questions", body="Ask about the budget holder.")
    in_title = LessonFactory(course=course, title="Budget", body="Money talk.")
    StoryLessonFactory(course=course, title="Lost to a budget freeze")

    results = _search(client, cast.rep, "budget").context["results"].training

    # A title match outranks a body match.
    assert [lesson.pk for lesson in results.lessons] == [in_title.pk, in_body.pk]
    assert [s.title for s in results.stories] == ["Lost to a budget freeze"]


def test_stemming_matches_other_forms_of_a_word(cast, client):
    LessonFactory(title="Handling objections", body="When the customer objects to price.")

    results = _search(client, cast.rep, "objection").context["results"].training

    assert [lesson.title for lesson in results.lessons] == ["Handling objections"]


def test_snippets_highlight_the_match_and_escape_the_text(cast, client):
    LessonFactory(title="Champions", body="A <script>alert(1)</script> champion sells for you.")

    response = _search(client, cast.rep, "champion")

    html = response.content.decode()
    assert "<mark>champion</mark>" in html.lower()
    assert "<script>alert(1)</script>" not in html


def test_drafts_and_unassigned_draft_courses_stay_hidden_from_reps(cast, client):
    draft_course = CourseFactory(title="Secret pricing", status=PublishStatus.DRAFT)
    LessonFactory(course=draft_course, title="Pricing ladder")
    LessonFactory(title="Pricing draft lesson", status=PublishStatus.DRAFT)
    ProgramFactory(title="Pricing program", status=PublishStatus.DRAFT)

    rep = _search(client, cast.rep, "pricing").context["results"]
    admin = _search(client, cast.admin, "pricing").context["results"]

    assert rep.count == 0
    assert {c.title for c in admin.training.courses} == {"Secret pricing"}
    assert {lesson.title for lesson in admin.training.lessons} == {
        "Pricing ladder",
        "Pricing draft lesson",
    }
    assert [p.title for p in admin.training.programs] == ["Pricing program"]


def test_a_draft_course_assigned_to_the_rep_is_found_by_them_only(cast, client):
    course = CourseFactory(title="Pilot negotiation", status=PublishStatus.DRAFT)
    LessonFactory(course=course, title="Anchoring")
    AssignmentFactory(assignee=cast.rep, course=course)

    mine = _search(client, cast.rep, "anchoring").context["results"]
    peer = _search(client, cast.rep_peer, "anchoring").context["results"]

    assert [lesson.title for lesson in mine.training.lessons] == ["Anchoring"]
    assert peer.count == 0


def test_deals_and_people_follow_the_access_policy(cast, client):
    DealFactory(owner=cast.rep, name="Globex renewal", account_name="Globex")
    DealFactory(owner=cast.other_rep, name="Globex expansion", account_name="Globex")

    rep = _search(client, cast.rep, "globex").context["results"]
    manager = _search(client, cast.manager, "globex").context["results"]
    leader = _search(client, cast.leader, "globex").context["results"]
    people_for_manager = _search(client, cast.manager, "peer").context["results"]
    people_for_rep = _search(client, cast.rep, "peer").context["results"]

    assert [d.name for d in rep.deals] == ["Globex renewal"]
    assert [d.name for d in manager.deals] == ["Globex renewal"]
    assert {d.name for d in leader.deals} == {"Globex renewal", "Globex expansion"}
    assert [p.full_name for p in people_for_manager.people] == ["Pat Peer"]
    assert people_for_rep.people == []


def test_every_result_link_opens_for_the_viewer(cast, client):
    course = CourseFactory(title="Pipeline reviews")
    LessonFactory(course=course, title="Pipeline hygiene")
    ProgramFactory(title="Pipeline program")
    DealFactory(owner=cast.rep, name="Pipeline deal")

    for who in ("rep", "manager", "leader"):
        response = _search(client, cast[who], "pipeline")
        links = [
            part.split('"')[0]
            for part in response.content.decode().split('class="cell-main" href="')[1:]
        ]
        assert links, who
        for link in links:
            assert client.get(link).status_code == 200, (who, link)


def test_empty_query_shows_the_empty_state(cast, client):
    response = _search(client, cast.rep, "")

    assert response.status_code == 200
    assert b"Search for anything you learn or sell" in response.content


def test_no_match_says_so(cast, client):
    response = _search(client, cast.rep, "zebra")

    assert response.status_code == 200
    assert b"Nothing matches" in response.content


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("econ\x00omic", b"NUL characters"),  # refused by core.middleware, before the view
        ("x" * 201, b"too long"),
        ("?!* ** ()", b"at least one word"),
    ],
)
def test_bad_input_is_a_400_with_a_message(cast, client, q, message):
    response = _search(client, cast.rep, q)

    assert response.status_code == 400
    assert message in response.content


@pytest.mark.parametrize(
    "q",
    ['"unbalanced', "NEAR(a b)", "title:buyer", "a AND OR NOT", "-buyer", "buyer*", "buyer'; --"],
)
def test_query_syntax_is_never_interpreted(cast, client, q):
    LessonFactory(title="Economic buyer")

    response = _search(client, cast.rep, q)

    assert response.status_code == 200


def test_stop_words_only_find_nothing_without_error(cast, client):
    LessonFactory(title="The and of")

    assert _search(client, cast.rep, "the and").status_code == 200


def test_terms_parse_keeps_words_only():
    assert search_terms_parse("  economic, buyer! ").words == ("economic", "buyer")
    assert search_terms_parse("Kündigung Öl").words == ("Kündigung", "Öl")


def test_highlighted_balances_marks_and_drops_markdown():
    snippet = "**Ask** the \ue000buyer\ue001 <b>now</b> \ue000"
    assert str(highlighted(snippet)) == "Ask the <mark>buyer</mark> &lt;b&gt;now&lt;/b&gt;"


@pytest.mark.parametrize("size", [2, 20])
def test_search_page_queries_do_not_grow(cast, client, django_assert_num_queries, size):
    for n in range(size):
        course = CourseFactory(title=f"Closing course {n}")
        LessonFactory(course=course, title=f"Closing lesson {n}")
        StoryLessonFactory(course=course, title=f"Closing story {n}")
        ProgramFactory(title=f"Closing program {n}")
        DealFactory(owner=cast.rep, name=f"Closing deal {n}")
    client.force_login(cast.manager)

    # session, user, then courses, programs, lessons, stories, people, deals.
    with django_assert_num_queries(8):
        response = client.get("/search/", {"q": "closing"})

    assert response.context["results"].count == 5 * min(size, 10)


def test_the_index_is_there_and_kept_in_step(cast, client):
    lesson = LessonFactory(title="Mutual action plan")
    lesson.title = "Joint close plan"
    lesson.save()

    assert _search(client, cast.rep, "mutual").context["results"].count == 0
    assert _search(client, cast.rep, "joint").context["results"].count == 1
    lesson.delete()
    assert _search(client, cast.rep, "joint").context["results"].count == 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_search'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE '%%_fts_a_'")
        names = {row[0] for row in cursor.fetchall()}
    tables = ("training_course", "training_program", "training_lesson")
    if connection.vendor == "postgresql":
        assert names >= {f"{t}_search" for t in tables}
    else:
        assert names >= {f"{t}_fts_{s}" for t in tables for s in ("ai", "ad", "au")}


def test_postgresql_answers_from_the_gin_index(cast):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    from core.search import full_text_filter
    from training.models import Lesson
    from training.selectors.search import LESSON_INDEX

    LessonFactory(title="Economic buyer")
    qs = full_text_filter(
        Lesson.objects.all(), index=LESSON_INDEX, terms=search_terms_parse("economic buyer")
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()

    assert "training_lesson_search" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 triggers are SQLite's")
def test_migrate_puts_back_full_text_triggers_an_alter_table_dropped():
    """SQLite's ALTER TABLE copies the table and drops its triggers (0005_scorm and
    0007_practice did): after migrate the index is whole again and finds a new lesson."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER training_lesson_fts_ai")

    assert search_index_ensure(using="default") == ["training_lesson"]

    LessonFactory(title="Economic buyer mapping", body="who signs")
    assert search_index_ensure(using="default") == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM training_lesson_fts WHERE training_lesson_fts MATCH 'mapping'"
        )
        assert cursor.fetchone()[0] == 1
