"""`seed_demo --language de`: a German organisation's demo reads German (courses, lessons,
stories, quizzes, coaching notes, deals); English stays the default."""

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from accounts.demo import DEMO_LOGINS
from accounts.models import User
from coaching.models import ActionItem, CoachingSession, PostMortem, Rubric
from deals.models import Deal
from training import demo as training_demo
from training.models import Course, Lesson, LessonKind, Program

pytestmark = pytest.mark.django_db

LOGIN = dict(DEMO_LOGINS)


def _manifests(root: Path) -> dict[str, dict]:
    return {
        folder.name: yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
        for folder in sorted(root.iterdir())
        if (folder / "course.yaml").is_file()
    }


def _shape(root: Path, manifest: dict) -> list[tuple]:
    """What must not differ between languages: lessons, kinds, minutes, story facts, quiz rules,
    and each question's kind and which of its choices are correct."""
    shape = []
    for lesson in manifest["lessons"]:
        story = dict(lesson.get("story", {}))
        story.pop("industry", None)  # the one story fact written in words
        questions = []
        if lesson.get("questions"):
            folder = root / manifest["slug"]
            for q in yaml.safe_load((folder / lesson["questions"]).read_text(encoding="utf-8")):
                questions.append((q["kind"], [bool(c.get("correct")) for c in q["choices"]]))
        shape.append(
            (
                lesson["slug"],
                lesson["kind"],
                lesson["minutes"],
                lesson.get("pass_mark_pct"),
                lesson.get("max_attempts"),
                sorted((k, v) for k, v in story.items() if not str(v).endswith(".md")),
                questions,
            )
        )
    return shape


def test_the_german_library_tells_the_same_courses_as_the_english_one():
    english = _manifests(training_demo.CONTENT_BY_LANGUAGE["en"])
    german = _manifests(training_demo.CONTENT_BY_LANGUAGE["de"])

    assert german.keys() == english.keys()
    for slug, manifest in english.items():
        translated = german[slug]
        assert translated["title"] != manifest["title"], slug
        assert translated["estimated_minutes"] == manifest["estimated_minutes"]
        assert _shape(training_demo.CONTENT_BY_LANGUAGE["de"], translated) == _shape(
            training_demo.CONTENT_BY_LANGUAGE["en"], manifest
        ), slug
        # every file a German lesson names exists (the importer would refuse it otherwise)
        for name in (training_demo.CONTENT_BY_LANGUAGE["de"] / slug).iterdir():
            assert name.read_text(encoding="utf-8").strip(), name


def test_an_unknown_demo_language_is_refused():
    with pytest.raises(CommandError, match="language"):
        call_command("seed_demo", "--language", "fr", stdout=io.StringIO())
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_german_demo_seeds_german_content_and_its_pages_read_german(client):
    # when the demo is seeded in German
    call_command("seed_demo", "--language", "de", stdout=io.StringIO())

    # then the content is German: courses, lessons, stories, programs, rubric, coaching notes
    course = Course.objects.get(slug="qualification-that-holds-up")
    assert course.title == "Qualifizierung, die hält"
    story = Lesson.objects.get(course=course, kind=LessonKind.STORY)
    assert story.title == "Geschichte: das Quartalsende, das keines war"
    assert "Logistikunternehmen" in story.story_what_happened
    assert Program.objects.filter(title="Vertriebsgrundlagen").exists()
    assert Program.objects.filter(title="Inside-Sales-Leitfaden").exists()
    assert not Course.objects.filter(title="Qualification that holds up").exists()
    rubric = Rubric.objects.get(name="Bedarfsanalyse-Gespräch")
    assert "Schmerzpunkt erkannt" in rubric.criteria.values_list("name", flat=True)
    assert PostMortem.objects.exists()
    assert not PostMortem.objects.exclude(went_well__in=_german_went_well()).exists()
    assert ActionItem.objects.filter(description="Ein Gespräch mit dem Economic Buyer vereinbaren")
    assert not ActionItem.objects.filter(description="Book a call with the economic buyer")
    assert Deal.objects.filter(status="lost", loss_reason="Keine Entscheidung").exists()
    assert not Deal.objects.filter(loss_reason="No decision").exists()
    # and its people have chosen German
    people = User.objects.filter(email__endswith="@demo.coachline.app")
    assert people.count() > 40
    assert set(people.values_list("language", flat=True)) == {"de"}

    # when the demo rep and coach open their pages
    client.force_login(User.objects.get(email=LOGIN["rep"]))
    page = client.get(f"/learn/courses/{course.slug}/").content.decode()
    lesson = client.get(f"/learn/courses/{course.slug}/{story.slug}/").content.decode()
    client.force_login(User.objects.get(email=LOGIN["coach"]))
    session = (
        CoachingSession.objects.filter(coach__email=LOGIN["coach"], post_mortem__isnull=False)
        .order_by("pk")
        .first()
    )
    assert session is not None
    detail = client.get(f"/coaching/sessions/{session.pk}/").content.decode()

    # then they read German: the interface and the content
    assert '<html lang="de"' in page
    assert "Qualifizierung, die hält" in page and "Den Economic Buyer erreichen" in page
    assert "Was wir gelernt haben" in lesson and "Logistikunternehmen" in lesson
    assert session.post_mortem.went_well in detail


def _german_went_well() -> set[str]:
    from django.utils import translation

    from coaching.demo import WENT_WELL

    with translation.override("de"):
        return {translation.gettext(text) for text in WENT_WELL}
