"""A course says the same thing on its card and on its page: duration and rating."""

import pytest

from core.formats import rating_text
from tests.factories import UserFactory
from tests.training.factories import CompletionFactory, CourseFactory, LessonFactory, program_with
from training.models import CourseRating

pytestmark = pytest.mark.django_db


def _rate(course, *stars):  # type: ignore[no-untyped-def]
    for n in stars:
        user = UserFactory()
        CompletionFactory(user=user, course=course)
        CourseRating.objects.create(user=user, course=course, stars=n)


def test_the_card_and_the_page_round_the_rating_the_same_way(client):
    course = CourseFactory(slug="rounded", title="Rounded")
    LessonFactory(course=course)
    # mean 4.0625: the old card cut it to "4.0" while the page rounded to "4.1"; 4.05 -> 4.1
    _rate(course, *([4] * 15 + [5]))
    client.force_login(UserFactory())

    card = client.get("/learn/catalog/").content.decode()
    page = client.get("/learn/courses/rounded/").content.decode()

    assert [rating_text(v) for v in (4.0625, 4.05, 4.04)] == ["4.1", "4.1", "4.0"]
    assert "4.1" in card and "4.1" in page


def test_the_card_the_program_and_the_page_give_the_same_duration(client):
    course = CourseFactory(slug="timed", title="Timed", estimated_minutes=180)
    LessonFactory(course=course, minutes=7)
    LessonFactory(course=course, minutes=8)
    program_with(course, slug="timed-program")
    client.force_login(UserFactory())

    card = client.get("/learn/catalog/").content.decode()
    program = client.get("/learn/programs/timed-program/").content.decode()
    page = client.get("/learn/courses/timed/").content.decode()

    assert "15 min" in card and "15 min" in program and "about 15 minutes" in page
    assert "180" not in card + program + page


def test_a_course_without_lessons_says_so_and_offers_no_rating(client):
    user = UserFactory()
    course = CourseFactory(slug="empty", title="Empty")
    CompletionFactory(user=user, course=course)  # imported from a previous LMS
    client.force_login(user)

    page = client.get("/learn/courses/empty/").content.decode()

    assert "This course has no lessons yet." in page
    assert "How useful was this course?" not in page
