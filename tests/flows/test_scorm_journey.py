"""A rep takes imported SCORM 1.2 and 2004 modules in Chromium: the SCO finds scorm-again's API,
answers, suspends, resumes where it left off, and completes; the completion reaches the
learner's course and the xAPI statements."""

import io

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_api_key
from tests.flows.conftest import log_in
from tests.training.factories import CourseFactory
from tests.training.scorm_packages import scorm12_zip, scorm2004_zip, zip_bytes
from training.models import Completion, ScormAttempt
from training.services import scorm_package_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _course_with(data: bytes, slug: str):
    course = CourseFactory(slug=slug, title="Discovery")
    lessons = scorm_package_import(course=course, upload=io.BytesIO(data), size=len(data)).lessons
    return course, lessons[0]


def _stored_attempt(page, user, lesson) -> ScormAttempt:
    """The attempt once the terminate commit arrived: scorm-again may send that one after
    Terminate returned (a beacon while the frame unloads), so wait for it up to 5 seconds."""
    for _ in range(50):
        attempt = ScormAttempt.objects.get(user=user, lesson=lesson)
        if attempt.total_seconds:
            return attempt
        page.wait_for_timeout(100)
    return attempt


def _play(page, url: str):
    page.goto(url)
    return page.frame_locator("#scorm-frame")


@pytest.mark.parametrize(("version", "data"), [("1.2", scorm12_zip()), ("2004", scorm2004_zip())])
def test_a_rep_suspends_resumes_and_completes_a_scorm_module(cast, page, version, data):
    course, lesson = _course_with(data, slug=f"discovery-{version.replace('.', '')}")
    url = f"/learn/courses/{course.slug}/{lesson.slug}/"
    log_in(page, "rep@example.com", PASSWORD)

    sco = _play(page, url)
    expect(sco.locator("#state")).to_have_text("entry=ab-initio location=")
    sco.get_by_label("The CFO who owns the budget").check()
    sco.get_by_role("button", name="Save and pause").click()
    expect(sco.locator("#state")).to_have_text("paused")
    expect(page.get_by_role("status")).to_have_text("You left the module. Your progress is saved.")
    attempt = _stored_attempt(page, cast.rep, lesson)
    assert (attempt.location, attempt.suspend_data, attempt.exit) == (
        "question-1",
        '{"answer":"cfo"}',
        "suspend",
    )
    assert attempt.total_seconds == 125

    sco = _play(page, url)
    expect(sco.locator("#state")).to_have_text("entry=resume location=question-1")
    expect(sco.get_by_label("The CFO who owns the budget")).to_be_checked()
    sco.get_by_role("button", name="Finish").click()
    expect(sco.locator("#state")).to_have_text("finished: passed")

    completion = Completion.objects.get(user=cast.rep, course=course)
    assert completion.score == 90
    page.goto(f"/learn/courses/{course.slug}/")
    expect(page.get_by_role("heading", name="How useful was this course?")).to_be_visible()
    _key, secret = make_api_key("reports:read")
    answer = page.request.get(
        "/api/v1/xapi/statements", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    statements = answer.json()["statements"]
    completed = [s for s in statements if s["verb"]["id"].endswith("/completed")]
    assert [s["object"]["id"].endswith(f"/learn/courses/{course.slug}/") for s in completed] == [
        True
    ]
    assert completed[0]["result"]["score"]["raw"] == 90.0


def test_a_sco_that_never_initializes_is_reported(cast, page, settings):
    files = {
        "imsmanifest.xml": _silent_manifest(),
        "index.html": "<!doctype html><title>Silent</title><p>I never call the API.</p>",
    }
    course, lesson = _course_with(zip_bytes(files), slug="silent")
    log_in(page, "rep@example.com", PASSWORD)
    page.clock.install()
    page.goto(f"/learn/courses/{course.slug}/{lesson.slug}/")
    page.clock.run_for(21_000)

    expect(page.get_by_role("status")).to_contain_text("has not connected to Coachline")
    assert not Completion.objects.exists()


def _silent_manifest() -> str:
    return """<?xml version="1.0"?>
<manifest identifier="silent" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Silent</title>
    <item identifier="i" identifierref="r"><title>Silent module</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"/>
  </resources>
</manifest>"""
