"""Notifications: one write path (notify), the centre and bell, per-kind channel choices, and
delivery by email, Slack (slack_sdk against a fake Web API) and Teams (a fake incoming webhook)."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications.kinds import Channel, Kind
from notifications.models import Notification, NotificationDelivery, NotificationPreference
from notifications.services import (
    delivery_send,
    notify,
    preferences_set,
    teams_webhook_set,
)
from notifications.tasks import send_due_deliveries
from tests.fakes.server import Reply
from tests.training.factories import course_with_lesson
from training.services import assignment_create

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=14)


def _assign(cast, *people):
    course = course_with_lesson(slug="discovery", title="Discovery conversations")
    return assignment_create(
        target=course, assignees=list(people), due_date=DUE, assigned_by=cast.manager
    )


def test_assigning_a_course_notifies_at_once_in_the_app_and_by_email(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _assign(cast, cast.rep, cast.rep_peer)

    notes = Notification.objects.order_by("recipient__full_name")
    assert [(n.recipient, n.kind, n.url) for n in notes] == [
        (cast.rep_peer, "assigned", "/learn/courses/discovery/"),
        (cast.rep, "assigned", "/learn/courses/discovery/"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["peer@example.com", "rep@example.com"]
    email = next(m for m in mail.outbox if m.to == ["rep@example.com"])
    assert email.subject == "New training for you: Discovery conversations"
    assert "Mia Manager assigned it to you." in email.body
    assert "http://testserver/learn/courses/discovery/" in email.body or "/learn/courses/" in (
        email.body
    )
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_nothing_goes_out_when_the_assignment_rolls_back(cast, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _assign(cast, cast.rep)
        raise RuntimeError("the request failed later")

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_actor_is_not_told_about_their_own_change(cast):
    notify(recipients=[cast.manager, cast.rep], kind=Kind.NUDGE, params={}, actor=cast.manager)

    assert list(Notification.objects.values_list("recipient", flat=True)) == [cast.rep.pk]


def test_an_outside_link_is_refused(cast):
    with pytest.raises(ValueError):
        notify(recipients=[cast.rep], kind=Kind.NUDGE, params={}, url="https://evil.example/")
    with pytest.raises(ValueError):
        notify(recipients=[cast.rep], kind=Kind.NUDGE, params={}, url="//evil.example/")


def test_a_person_who_turned_email_off_gets_only_the_in_app_notice(
    cast, django_capture_on_commit_callbacks
):
    preferences_set(user=cast.rep, enabled={(Kind.ASSIGNED, Channel.IN_APP)})

    with django_capture_on_commit_callbacks(execute=True):
        _assign(cast, cast.rep)

    assert Notification.objects.get().is_shown is True
    assert mail.outbox == []


def test_a_person_who_turned_in_app_off_sees_nothing_in_the_centre(cast, client):
    preferences_set(user=cast.rep, enabled={(Kind.NUDGE, Channel.EMAIL)})
    notify(recipients=[cast.rep], kind=Kind.NUDGE, params={"title": "X", "actor": "Mia"})
    client.force_login(cast.rep)

    assert "nudged you" not in client.get("/notifications/").content.decode()
    assert "0 unread" in client.get("/notifications/badge/").content.decode()


def test_preferences_store_only_what_differs_from_the_defaults(cast):
    preferences_set(
        user=cast.rep,
        enabled={(k, Channel.IN_APP) for k in Kind.values}
        | {(k, Channel.EMAIL) for k in Kind.values if k != Kind.STORY_PUBLISHED}
        | {(Kind.NUDGE, Channel.SLACK)},
    )

    assert list(NotificationPreference.objects.values_list("kind", "channel", "is_enabled")) == [
        ("nudge", "slack", True)
    ]


def test_slack_delivery_finds_the_person_by_email_and_sends_a_direct_message(
    cast, fake_slack, django_capture_on_commit_callbacks
):
    fake_slack.members["rep@example.com"] = "U0REP"
    preferences_set(
        user=cast.rep, enabled={(Kind.ASSIGNED, Channel.IN_APP), (Kind.ASSIGNED, Channel.SLACK)}
    )

    with django_capture_on_commit_callbacks(execute=True):
        _assign(cast, cast.rep)

    assert [m["channel"] for m in fake_slack.messages] == ["U0REP"]
    text = fake_slack.messages[0]["text"]
    assert "*New training for you: Discovery conversations*" in text
    assert "/learn/courses/discovery/|Open in Coachline>" in text
    assert mail.outbox == []
    assert NotificationDelivery.objects.get().status == "sent"


def test_slack_is_skipped_without_a_bot_token(cast, settings):
    settings.SLACK_BOT_TOKEN = ""
    preferences_set(user=cast.rep, enabled={(Kind.NUDGE, Channel.SLACK)})

    notify(recipients=[cast.rep], kind=Kind.NUDGE, params={})

    assert not NotificationDelivery.objects.exists()


def test_slack_rate_limit_is_retried_later_and_an_unknown_person_fails_for_good(cast, fake_slack):
    fake_slack.members["rep@example.com"] = "U0REP"
    for person in (cast.rep, cast.rep_peer):
        preferences_set(user=person, enabled={(Kind.NUDGE, Channel.SLACK)})
    notify(recipients=[cast.rep, cast.rep_peer], kind=Kind.NUDGE, params={"title": "Q3"})
    rep_delivery = NotificationDelivery.objects.get(notification__recipient=cast.rep)
    peer_delivery = NotificationDelivery.objects.get(notification__recipient=cast.rep_peer)
    fake_slack.fail_next(
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"}),
        path_contains="lookupByEmail",
    )

    first = delivery_send(delivery_id=rep_delivery.pk)
    peer = delivery_send(delivery_id=peer_delivery.pk)

    assert first.status == "pending"
    assert first.next_attempt_at >= timezone.now() + dt.timedelta(seconds=119)  # Retry-After
    assert peer.status == "failed"
    peer_delivery.refresh_from_db()
    assert "users_not_found" in peer_delivery.last_error
    NotificationDelivery.objects.filter(pk=rep_delivery.pk).update(next_attempt_at=timezone.now())
    assert send_due_deliveries() == 1
    rep_delivery.refresh_from_db()
    assert (rep_delivery.status, rep_delivery.attempts) == ("sent", 2)
    assert len(fake_slack.messages) == 1


def test_teams_delivery_posts_an_adaptive_card_to_the_persons_webhook(
    cast, fake_teams, field_encryption_key, django_capture_on_commit_callbacks
):
    teams_webhook_set(user=cast.rep, url=fake_teams.webhook_url)
    preferences_set(
        user=cast.rep, enabled={(Kind.ASSIGNED, Channel.IN_APP), (Kind.ASSIGNED, Channel.TEAMS)}
    )

    with django_capture_on_commit_callbacks(execute=True):
        _assign(cast, cast.rep)

    card = fake_teams.cards[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == "New training for you: Discovery conversations"
    assert card["content"]["actions"][0]["url"].endswith("/learn/courses/discovery/")
    assert NotificationDelivery.objects.get().status == "sent"


def test_a_teams_server_error_is_retried_and_a_404_is_final(cast, fake_teams, field_encryption_key):
    teams_webhook_set(user=cast.rep, url=fake_teams.webhook_url)
    preferences_set(user=cast.rep, enabled={(Kind.NUDGE, Channel.TEAMS)})
    notify(recipients=[cast.rep], kind=Kind.NUDGE, params={})
    delivery = NotificationDelivery.objects.get()
    fake_teams.fail_next(Reply(503, "busy", {"Connection": "close"}))

    assert delivery_send(delivery_id=delivery.pk).status == "pending"
    assert delivery_send(delivery_id=delivery.pk) is None  # not due yet, nothing sent twice

    notify(recipients=[cast.rep], kind=Kind.NUDGE, params={})
    second = NotificationDelivery.objects.latest("pk")
    fake_teams.fail_next(Reply(404, "gone", {"Connection": "close"}))
    assert delivery_send(delivery_id=second.pk).status == "failed"


@pytest.mark.parametrize(
    "url",
    [
        "http://outlook.webhook.office.com/x",  # not https
        "https://169.254.169.254/latest/",
        "https://evil.example/webhook.office.com",
        "https://user:pw@acme.webhook.office.com/x",
        "javascript:alert(1)",
    ],
)
def test_only_microsoft_webhook_urls_are_accepted_for_teams(cast, field_encryption_key, url):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        teams_webhook_set(user=cast.rep, url=url)

    assert "teams_webhook_url" in refused.value.message_dict


def test_a_real_teams_url_is_accepted_and_stored_encrypted(cast, field_encryption_key):
    from django.db import connection

    teams_webhook_set(user=cast.rep, url="https://acme.webhook.office.com/webhookb2/x")

    with connection.cursor() as cursor:
        cursor.execute("SELECT teams_webhook_url FROM notifications_notificationaddress")
        stored = cursor.fetchone()[0]
    assert "acme" not in stored


def test_the_centre_lists_marks_read_and_follows_the_link(cast, client):
    notify(
        recipients=[cast.rep],
        kind=Kind.RETAKE_GRANTED,
        params={"title": "Check", "actor": "Cole Coach", "n": "2", "note": ""},
        url="/learn/",
    )
    client.force_login(cast.rep)

    page = client.get("/notifications/").content.decode()
    badge = client.get("/notifications/badge/").content.decode()
    note = Notification.objects.get()
    opened = client.post(f"/notifications/{note.pk}/open/")

    assert "Retake granted: Check" in page and "Cole Coach gave you 2 more attempt(s)." in page
    assert "1 unread" in badge
    assert opened.status_code == 302 and opened["Location"] == "/learn/"
    assert "0 unread" in client.get("/notifications/badge/").content.decode()


def test_nobody_opens_or_reads_anothers_notification(cast, client):
    notify(recipients=[cast.rep], kind=Kind.NUDGE, params={"title": "Secret"})
    note = Notification.objects.get()
    client.force_login(cast.rep_peer)

    assert client.post(f"/notifications/{note.pk}/open/").status_code == 404
    assert "Secret" not in client.get("/notifications/").content.decode()
    note.refresh_from_db()
    assert note.read_at is None


def test_the_settings_page_saves_choices_and_refuses_a_bad_teams_url(cast, client):
    client.force_login(cast.rep)

    saved = client.post("/notifications/settings/", {"nudge:in_app": "on", "nudge:slack": "on"})
    bad = client.post("/notifications/settings/", {"teams_webhook_url": "https://evil.example/"})

    assert saved.status_code == 302
    assert NotificationPreference.objects.filter(
        user=cast.rep, kind="nudge", channel="slack", is_enabled=True
    ).exists()
    assert NotificationPreference.objects.filter(
        user=cast.rep, kind="assigned", channel="in_app", is_enabled=False
    ).exists()
    assert bad.status_code == 400
    assert "Paste the incoming webhook" in bad.content.decode()


def test_the_centre_runs_constant_queries(cast, client, django_assert_num_queries):
    client.force_login(cast.rep)
    for n in (1, 20):
        for _ in range(n):
            notify(recipients=[cast.rep], kind=Kind.NUDGE, params={"title": "x"})
        # session, user, notifications
        with django_assert_num_queries(3):
            assert client.get("/notifications/").status_code == 200


def test_the_badge_is_one_query_after_the_session(cast, client, django_assert_num_queries):
    client.force_login(cast.rep)
    # session, user, unread count
    with django_assert_num_queries(3):
        client.get("/notifications/badge/")


@pytest.mark.parametrize("value", ["\x00", "x" * 5000])
def test_bad_params_are_cleaned_not_stored_raw(cast, value):
    notify(recipients=[cast.rep], kind=Kind.NUDGE, params={"note": value})

    stored = Notification.objects.get().params["note"]
    assert "\x00" not in stored and len(stored) <= 500


def test_a_retry_waits_at_least_half_a_minute_and_at_most_an_hour():
    from notifications.services import retry_delay

    waits = [retry_delay(attempts=n) for n in (1, 1, 1, 3, 9, 30) for _ in range(20)]

    assert min(waits) >= dt.timedelta(seconds=30)
    assert max(waits) <= dt.timedelta(hours=1)
    assert retry_delay(attempts=1, retry_after=600) >= dt.timedelta(seconds=600)
