"""The learner's pages: my learning, catalog, course, lesson, quiz, completion, certificate."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    StoryLessonFactory,
    answers,
    make_quiz,
    program_with,
)
from training.models import (
    Completion,
    CourseRating,
    LessonKind,
    LessonProgress,
    PublishStatus,
    QuizAttempt,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    course = CourseFactory(slug="qualify", title="Qualify deals")
    LessonFactory(course=course, slug="intro", title="Intro", body="Read **this**.")
    StoryLessonFactory(course=course, slug="story", title="A lost deal")
    make_quiz(course, slug="quiz", title="Check", questions=3, pass_mark_pct=100, max_attempts=2)
    return course


def test_pages_need_a_login(client, course):
    for url in ["/learn/", "/learn/catalog/", "/learn/courses/qualify/", "/learn/team/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_my_learning_lists_assignments_first_then_the_catalog(cast, client, course):
    AssignmentFactory(assignee=cast.rep, course=course, due_date=timezone.localdate())
    CourseFactory(title="Discovery basics")
    CourseFactory(title="Secret draft", status=PublishStatus.DRAFT)
    client.force_login(cast.rep)

    body = client.get("/learn/").content.decode()

    assert (
        body.index("Assigned to you") < body.index("Qualify deals") < body.index("From the catalog")
    )
    assert "Discovery basics" in body
    assert "Secret draft" not in body
    assert "/learn/courses/qualify/intro/" in body  # the start link


def test_my_learning_runs_constant_queries(cast, client, django_assert_max_num_queries):
    for n in range(15):
        course = CourseFactory()
        for _ in range(4):
            LessonFactory(course=course)
        AssignmentFactory(assignee=cast.rep, course=course)
        LessonProgress.objects.create(
            user=cast.rep, lesson=course.lessons.first(), completed_at=timezone.now()
        )
        if n % 3 == 0:
            CompletionFactory(user=cast.rep, course=course)
    program = program_with(*[CourseFactory() for _ in range(3)])
    AssignmentFactory(assignee=cast.rep, course=None, program=program)
    client.force_login(cast.rep)

    # session, user, assignments (+target, assigner), progress, completions, catalog courses,
    # their lesson counts, their ratings, program courses, lessons for resume links
    with django_assert_max_num_queries(10):
        response = client.get("/learn/")
    assert response.status_code == 200


def test_catalog_filters_by_tag_and_words(cast, client):
    CourseFactory(title="SPIN questions", tags=["SPIN"])
    CourseFactory(title="MEDDIC checklists", tags=["MEDDIC"])
    client.force_login(cast.rep)

    by_tag = client.get("/learn/catalog/?tag=spin").content.decode()
    by_word = client.get("/learn/catalog/?q=checklist").content.decode()

    assert "SPIN questions" in by_tag and "MEDDIC checklists" not in by_tag
    assert "MEDDIC checklists" in by_word and "SPIN questions" not in by_word


def test_catalog_htmx_search_answers_the_results_only(cast, client):
    CourseFactory(title="SPIN questions")
    client.force_login(cast.rep)

    body = client.get("/learn/catalog/?q=spin", HTTP_HX_REQUEST="true").content.decode()

    assert body.lstrip().startswith('<div id="catalog-results">')
    assert "SPIN questions" in body and "1 course" in body


def test_the_catalog_pages_twelve_courses_at_a_time(cast, client):
    for n in range(14):
        CourseFactory(title=f"Course {n:02d}")
    client.force_login(cast.rep)

    first = client.get("/learn/catalog/").content.decode()
    second = client.get("/learn/catalog/?page=2").content.decode()

    assert "Course 11" in first and "Course 12" not in first
    assert "Course 12" in second and "Course 13" in second
    assert "Page 2 of 2" in second


def test_course_cards_escape_what_authors_write(cast, client):
    CourseFactory(title="<b>bold</b> & co", summary="<script>x()</script>", tags=["<i>x</i>"])
    client.force_login(cast.rep)

    body = client.get("/learn/catalog/").content.decode()

    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in body
    assert "<script>x()" not in body and "<i>x</i>" not in body


def test_catalog_runs_constant_queries(cast, client, django_assert_max_num_queries):
    for _ in range(25):
        course = CourseFactory()
        LessonFactory(course=course)
        CompletionFactory(course=course)
        CourseRating.objects.create(user=UserFactory(), course=course, stars=4)
    client.force_login(cast.rep)

    # session, user, courses, lesson counts, ratings, progress, completions
    with django_assert_max_num_queries(7):
        response = client.get("/learn/catalog/")
    assert response.status_code == 200


def test_course_page_shows_outline_and_progress(cast, client, course):
    intro = course.lessons.get(slug="intro")
    LessonProgress.objects.create(user=cast.rep, lesson=intro, completed_at=timezone.now())
    client.force_login(cast.rep)

    body = client.get("/learn/courses/qualify/").content.decode()

    assert "33%" in body
    assert body.index("Intro") < body.index("A lost deal") < body.index("Check")
    assert "Resume" in body


def test_course_page_runs_constant_queries(cast, client, django_assert_max_num_queries):
    course = CourseFactory(slug="big")
    for _ in range(20):
        lesson = LessonFactory(course=course)
        LessonProgress.objects.create(user=cast.rep, lesson=lesson, completed_at=timezone.now())
    for _ in range(3):
        make_quiz(course, questions=2)
    client.force_login(cast.rep)

    # session, user, course, lessons, progress, completions, quiz attempts, rating, due date,
    # programs, rating summary
    with django_assert_max_num_queries(11):
        response = client.get("/learn/courses/big/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("status", "assigned", "who", "code"),
    [
        (PublishStatus.PUBLISHED, False, "rep", 200),
        (PublishStatus.DRAFT, False, "rep", 404),
        (PublishStatus.DRAFT, True, "rep", 200),
        (PublishStatus.DRAFT, False, "manager", 200),  # editors preview drafts
        (PublishStatus.DRAFT, False, "leader", 404),
        (PublishStatus.DRAFT, False, "admin", 200),
    ],
)
def test_who_may_open_a_course(cast, client, status, assigned, who, code):
    course = CourseFactory(slug="c", status=status)
    LessonFactory(course=course, slug="l")
    if assigned:
        program = program_with(course)
        AssignmentFactory(assignee=cast[who], course=None, program=program)
    client.force_login(cast[who])

    assert client.get("/learn/courses/c/").status_code == code
    assert client.get("/learn/courses/c/l/").status_code == code


def test_a_missing_course_is_404(cast, client):
    client.force_login(cast.rep)

    assert client.get("/learn/courses/nope/").status_code == 404


def test_draft_lessons_are_404_for_learners(cast, client, course):
    LessonFactory(course=course, slug="wip", status=PublishStatus.DRAFT)
    client.force_login(cast.rep)

    assert client.get("/learn/courses/qualify/wip/").status_code == 404


def test_opening_a_lesson_remembers_it_and_shows_previous_and_next(cast, client, course):
    client.force_login(cast.rep)

    body = client.get("/learn/courses/qualify/story/").content.decode()

    assert LessonProgress.objects.filter(user=cast.rep, lesson__slug="story").exists()
    assert 'href="/learn/courses/qualify/intro/" rel="prev"' in body
    assert "What we learned" in body and "Test every date." in body
    assert "140,000" in body and "167 days" in body


def test_lesson_markdown_is_sanitised_on_the_page(cast, client):
    course = CourseFactory(slug="x")
    LessonFactory(
        course=course, slug="evil", body="<script>alert(1)</script>[a](javascript:alert(2))"
    )
    client.force_login(cast.rep)

    body = client.get("/learn/courses/x/evil/").content.decode()

    assert "<script>alert(1)" not in body
    assert "javascript:alert(2)" not in body


def test_video_lessons_embed_only_the_parsed_id(cast, client):
    course = CourseFactory(slug="v")
    LessonFactory(
        course=course,
        slug="watch",
        kind=LessonKind.VIDEO,
        body="",
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    client.force_login(cast.rep)

    body = client.get("/learn/courses/v/watch/").content.decode()

    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in body


def test_lesson_page_runs_constant_queries(cast, client, django_assert_max_num_queries):
    course = CourseFactory(slug="big")
    for _ in range(20):
        LessonFactory(course=course)
    make_quiz(course, slug="q", questions=10)
    client.force_login(cast.rep)

    # session, user, course, lesson, progress update (+ insert the first time), lessons,
    # progress, completions, questions, choices, attempts, retake grants
    with django_assert_max_num_queries(13):
        response = client.get("/learn/courses/big/q/")
    assert response.status_code == 200


def test_mark_done_moves_on_to_the_next_lesson(cast, client, course):
    client.force_login(cast.rep)

    response = client.post("/learn/courses/qualify/intro/done/")

    assert response.status_code == 302
    assert response["Location"] == "/learn/courses/qualify/story/"
    assert LessonProgress.objects.get(user=cast.rep, lesson__slug="intro").completed_at


def test_the_quiz_form_never_shows_which_answers_are_right(cast, client, course):
    client.force_login(cast.rep)

    body = client.get("/learn/courses/qualify/quiz/").content.decode()

    assert 'name="q-' in body
    assert "is_correct" not in body and "Because of reason" not in body


def _post_quiz(client, quiz, answers_by_question):
    data = {f"q-{qid}": ids for qid, ids in answers_by_question.items()}
    return client.post(f"/learn/courses/{quiz.course.slug}/{quiz.slug}/quiz/", data)


def test_failing_shows_what_was_wrong_but_not_the_answers(cast, client, course):
    quiz = course.lessons.get(slug="quiz")
    client.force_login(cast.rep)

    response = _post_quiz(client, quiz, answers(quiz, right=1))
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "?attempt=1" in response["Location"]
    assert "33%" in page and "Not passed yet" in page
    assert "Because of reason" not in page  # explanations wait for a pass
    assert "Try again" in page


def test_passing_the_last_lesson_goes_to_the_completion_page(cast, client, course):
    quiz = course.lessons.get(slug="quiz")
    client.force_login(cast.rep)
    client.post("/learn/courses/qualify/intro/done/")
    client.post("/learn/courses/qualify/story/done/")

    response = _post_quiz(client, quiz, answers(quiz))
    page = client.get(response["Location"]).content.decode()
    review = client.get("/learn/courses/qualify/quiz/").content.decode()

    assert response["Location"] == "/learn/courses/qualify/completed/"
    assert "Course completed" in page and "View your certificate" in page
    assert "Because of reason 1." in review  # explanations after passing
    assert Completion.objects.get(user=cast.rep).score == 100


@pytest.mark.parametrize("bad", ["unknown question", "extra field"])
def test_bad_quiz_posts_are_400_and_record_nothing(cast, client, course, bad):
    quiz = course.lessons.get(slug="quiz")
    client.force_login(cast.rep)
    data = {f"q-{qid}": ids for qid, ids in answers(quiz).items()}
    if bad == "unknown question":
        data["q-999999"] = ["1"]
    else:
        data["score"] = "100"

    response = client.post("/learn/courses/qualify/quiz/quiz/", data)

    assert response.status_code == 400
    assert "is not in this quiz" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_a_submission_past_the_limit_is_400_and_records_nothing(cast, client, course):
    quiz = course.lessons.get(slug="quiz")
    client.force_login(cast.rep)
    _post_quiz(client, quiz, answers(quiz, right=0))
    _post_quiz(client, quiz, answers(quiz, right=0))

    response = _post_quiz(client, quiz, answers(quiz))

    assert response.status_code == 400
    assert QuizAttempt.objects.filter(user=cast.rep).count() == 2
    body = response.content.decode()
    assert "used all 2 attempts" in body
    assert "Because of reason 1." in body  # no attempt left: the answers are shown


def test_rating_after_completion_with_htmx(cast, client, course):
    CompletionFactory(user=cast.rep, course=course)
    client.force_login(cast.rep)

    response = client.post(
        "/learn/courses/qualify/rating/", {"stars": "4", "comment": "Good"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "You gave it 4 stars" in response.content.decode()
    assert CourseRating.objects.get().stars == 4


def test_rating_before_completion_is_refused(cast, client, course):
    client.force_login(cast.rep)

    response = client.post("/learn/courses/qualify/rating/", {"stars": "5"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert not CourseRating.objects.exists()


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("rep", 200),
        ("coach", 200),
        ("manager", 200),
        ("leader", 200),
        ("other_rep", 404),
        ("other_manager", 404),
        ("admin", 200),
    ],
)
def test_who_may_see_a_certificate(cast, client, who, code):
    completion = CompletionFactory(user=cast.rep, course=CourseFactory(title="Qualify"))
    client.force_login(cast[who])

    response = client.get(f"/learn/certificates/{completion.certificate_code}/")

    assert response.status_code == code
    if code == 200:
        body = response.content.decode()
        assert "Remy Rep" in body and completion.certificate_code in body
        assert f"/learn/verify/{completion.certificate_code}/" in body


def test_public_verification_shows_only_name_course_and_date(client):
    completion = CompletionFactory(
        user=UserFactory(full_name="Vera Verified", email="vera@example.com"),
        course=CourseFactory(title="Qualify deals"),
        completed_at=dt.datetime(2025, 2, 3, 10, tzinfo=dt.UTC),
        score=87,
    )

    response = client.get(f"/learn/verify/{completion.certificate_code}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Vera Verified" in body and "Qualify deals" in body and "3 Feb 2025" in body
    assert "vera@example.com" not in body and "87" not in body


def test_verification_codes_are_long_and_unguessable(client):
    codes = {CompletionFactory().certificate_code for _ in range(5)}

    assert len(codes) == 5 and all(len(c) >= 20 for c in codes)
    assert client.get("/learn/verify/not-a-code/").status_code == 404


def test_program_page_lists_its_courses_with_progress(cast, client):
    first, second = CourseFactory(title="First"), CourseFactory(title="Second")
    LessonFactory(course=first)
    LessonFactory(course=second, slug="next-one")
    program = program_with(first, second, slug="found", title="Foundations")
    CompletionFactory(user=cast.rep, course=first)
    AssignmentFactory(assignee=cast.rep, course=None, program=program)
    client.force_login(cast.rep)

    body = client.get("/learn/programs/found/").content.decode()

    assert "Foundations" in body
    assert body.index("First") < body.index("Second")
    assert "50%" in body
    assert f'href="/learn/courses/{second.slug}/next-one/">Continue' in body


def test_my_learning_does_not_offer_assigned_courses_twice(cast, client):
    assigned, started, _fresh = (
        CourseFactory(title="Assigned one"),
        CourseFactory(title="Started one"),
        CourseFactory(title="Fresh one"),
    )
    for course in (assigned, started):
        lesson = LessonFactory(course=course)
        LessonFactory(course=course)
        LessonProgress.objects.create(user=cast.rep, lesson=lesson, completed_at=timezone.now())
    AssignmentFactory(assignee=cast.rep, course=None, program=program_with(assigned))
    client.force_login(cast.rep)

    learning = client.get("/learn/").context["learning"]

    assert [c.course.title for c in learning.continue_courses] == ["Started one"]
    assert [c.course.title for c in learning.catalog] == ["Fresh one", "Assigned one"]
