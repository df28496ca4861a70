"""Browser journey for practice (issue 18, "Done means"): a rep records a role-play with
Chromium's fake camera and microphone; the upload goes in chunks and the second chunk's first
attempt is dropped, so the recorder retries it; the coach scores the attempt with a comment
pinned to a second; the rep sees the review in place."""

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from auditlog.models import LogEntry
from playwright.sync_api import expect

from practice import views as practice_views
from practice.models import AttemptStatus, PracticeAttempt
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS, log_in
from tests.practice.factories import WEBM_HEAD, make_scenario
from training.models import PublishStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def media_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium whose camera and microphone are Chromium's test pattern and beep,
    granted without a prompt (the shared one has no media flags)."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield chromium
    chromium.close()


def _page(media_browser: Any, live_server: Any) -> Any:
    context = media_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def _log_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def _screenshots(page: Any, name: str) -> None:
    """The page at desktop and phone width (COACHLINE_SCREENSHOTS=1), for a person to look at."""
    if os.environ.get("COACHLINE_SCREENSHOTS") != "1":
        return
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page
    for width, height in ((1280, 860), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"practice-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


def test_a_rep_records_a_role_play_a_coach_reviews_it_and_the_rep_sees_the_review(
    cast, live_server, media_browser, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    # Small chunks, so that a few seconds of fake video make several of them.
    monkeypatch.setattr(practice_views, "CHUNK_BYTES", 32 * 1024)
    scenario = make_scenario(
        lesson__title="Discovery with a CFO",
        lesson__status=PublishStatus.PUBLISHED,
        lesson__course__status=PublishStatus.PUBLISHED,
        scenario="**Buyer:** a CFO with a deadline in March. Find the pain.",
    )

    # -- The rep records and submits; the second chunk's first send is dropped.
    rep = _page(media_browser, live_server)
    sent: list[int] = []
    dropped: list[int] = []

    def flaky_chunks(route: Any) -> None:
        match = re.search(rb'name="index"\r\n\r\n(\d+)\r\n', route.request.post_data_buffer or b"")
        index = int(match[1]) if match else -1
        sent.append(index)
        if index == 1 and not dropped:
            dropped.append(index)
            route.abort("connectionreset")
        else:
            route.continue_()

    rep.route("**/practice/attempts/*/chunks/", flaky_chunks)
    _log_in(rep, "rep@example.com")
    rep.goto(f"/practice/lessons/{scenario.lesson_id}/")
    expect(rep.get_by_role("heading", name="Discovery with a CFO", level=1)).to_be_visible()
    expect(rep.get_by_text("a CFO with a deadline in March")).to_be_visible()
    rep.get_by_label("Record with").select_option(label="Camera and microphone")
    rep.get_by_role("button", name="Start recording").click()
    expect(rep.get_by_role("status")).to_have_text("Recording…")
    expect(rep.locator("#practice-elapsed")).to_have_text("0:03")
    rep.get_by_role("button", name="Stop").click()
    expect(rep.get_by_role("status")).to_have_text(
        "Recorded. Play it back, record again, or submit it."
    )
    _screenshots(rep, "recorder")
    rep.get_by_role("button", name="Submit recording").click()

    expect(rep.get_by_role("heading", name="Discovery with a CFO", level=1)).to_be_visible()
    expect(rep.locator("#attempt-status")).to_have_text("Submitted")
    expect(rep.get_by_role("button", name="Delete attempt")).to_be_visible()
    _screenshots(rep, "submitted")
    attempt = PracticeAttempt.objects.get()
    assert (attempt.rep, attempt.status) == (cast.rep, AttemptStatus.SUBMITTED)
    assert attempt.total_chunks >= 3
    assert dropped == [1]
    assert sorted(sent) == sorted([*range(attempt.total_chunks), 1])  # chunk 1 sent twice
    assert attempt.recording.size == attempt.size_bytes
    with attempt.recording.open("rb") as recorded:
        assert recorded.read(4) == b"\x1a\x45\xdf\xa3"  # WebM, as recorded
    assert attempt.duration_seconds >= 3

    # -- The coach finds it in their queue, pins a comment and scores it.
    coach = _page(media_browser, live_server)
    _log_in(coach, "coach@example.com")
    coach.goto("/practice/reviews/")
    coach.get_by_role("link", name="Remy Rep").click()
    expect(coach.get_by_role("heading", name="Discovery with a CFO", level=1)).to_be_visible()
    coach.get_by_label("At (seconds)").fill("2")
    coach.get_by_label("Comment", exact=True).fill("Ask about the deadline here")
    coach.get_by_role("button", name="Add comment").click()
    comments = coach.get_by_role("region", name="Comments")
    expect(comments.get_by_role("button", name="0:02")).to_be_visible()
    coach.get_by_label("Discovery (1–5)").fill("4")
    coach.get_by_label("Next step (1–5)").fill("2")
    coach.get_by_label("Notes").fill("Good opening; agree the next step.")
    _screenshots(coach, "review-form")
    coach.get_by_role("button", name="Submit review").click()
    # (75 x 1 + 25 x 3) / 4
    expect(coach.get_by_text("37.5 / 100")).to_be_visible()

    # -- The scores join the rep's per-criterion trend, next to call scorecards.
    coach.goto(f"/coaching/trends/?rep={cast.rep.pk}&rubric={scenario.rubric_id}")
    expect(coach.get_by_role("heading", name=re.compile("mean score per month"))).to_be_visible()
    coach.get_by_text("The same figures as a table").click()
    table = coach.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("^Discovery"))).to_contain_text("4.00")
    expect(table.get_by_role("row", name=re.compile("^Next step"))).to_contain_text("2.00")

    # -- The rep sees the review where the recording is, and a comment seeks the player.
    rep.goto(f"/practice/lessons/{scenario.lesson_id}/")
    expect(rep.get_by_text("37.5 / 100")).to_be_visible()
    rep.get_by_role("link", name="Attempt 1").click()
    expect(rep.locator("#attempt-status")).to_have_text("Reviewed")
    review = rep.get_by_role("region", name="Review")
    expect(review.get_by_text("37.5 / 100")).to_be_visible()
    expect(review.get_by_text("Good opening; agree the next step.")).to_be_visible()
    pinned = rep.get_by_role("region", name="Comments")
    expect(pinned.get_by_text("Ask about the deadline here")).to_be_visible()
    expect(rep.get_by_role("button", name="Add comment")).to_have_count(0)
    _screenshots(rep, "review")
    # The pinned moment is a button that seeks the player there.
    pinned.get_by_role("button", name="0:02").click()
    rep.wait_for_function("document.getElementById('practice-player').currentTime >= 2")

    # The coach's player fetched the recording in several byte ranges over three page loads:
    # one viewing, one audit row; the rep's own viewing writes none.
    views = LogEntry.objects.get_for_object(attempt).filter(action=LogEntry.Action.ACCESS)
    assert list(views.values_list("actor__email", flat=True)) == ["coach@example.com"]
    rep.context.close()
    coach.context.close()


def test_without_media_recorder_the_rep_uploads_a_recorded_file(cast, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scenario = make_scenario(lesson__title="Pitch to a CFO")
    page.add_init_script("delete window.MediaRecorder;")  # a browser that cannot record
    log_in(page, "rep@example.com", PASSWORD)

    page.goto(f"/practice/lessons/{scenario.lesson_id}/")
    expect(page.get_by_role("status")).to_have_text(
        "This browser cannot record; upload a recording below."
    )
    expect(page.get_by_role("button", name="Start recording")).to_be_hidden()
    _screenshots(page, "file-upload")
    page.get_by_label("Recording file").set_input_files(
        {"name": "pitch.webm", "mimeType": "video/webm", "buffer": WEBM_HEAD + b"v" * 2000}
    )
    page.get_by_role("button", name="Upload recording").click()

    expect(page.get_by_text("Uploaded and submitted for review.")).to_be_visible()
    expect(page.locator("#attempt-status")).to_have_text("Submitted")
    attempt = PracticeAttempt.objects.get()
    assert (attempt.rep, attempt.size_bytes, attempt.status) == (cast.rep, 2016, "submitted")
