"""One extreme row already in the database (written before the input bounds, or by hand) must
not break the pages of everyone who sees it (issue #11, item 4). Before core.display, each page
below answered 500 for a viewer east of UTC."""

import datetime as dt

import pytest
from django.test import Client

from accounts.models import User
from deals.models import DealChange
from tests.coaching.factories import ActionItemFactory, SessionFactory
from tests.deals.factories import DealFactory
from tests.training.factories import AssignmentFactory, CompletionFactory, CourseFactory

pytestmark = pytest.mark.django_db

LAST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)

PAGES = [
    ("rep", "/"),
    ("rep", "/deals/"),
    ("rep", "/deals/{deal}/"),
    ("rep", "/learn/"),
    ("rep", "/learn/courses/{course}/"),
    ("rep", "/coaching/"),
    ("manager", "/learn/team/"),
    ("manager", "/coaching/"),
    ("admin", "/deals/"),
    ("admin", "/deals/{deal}/"),
    ("admin", "/coaching/people/{rep}/"),
    ("leader", "/coaching/people/{rep}/"),
]


@pytest.fixture
def extreme_rows(cast):
    course = CourseFactory()
    deal = DealFactory(owner=cast.rep, expected_close_date=dt.date(9999, 12, 31))
    DealFactory(owner=cast.rep, status="won", closed_at=LAST, source_updated_at=LAST)
    DealChange.objects.create(
        deal=deal,
        field="expected_close_date",
        old_value="2025-01-01",
        new_value="9999-12-31",
        changed_at=LAST,
    )
    CompletionFactory(user=cast.rep, course=course, completed_at=LAST)
    AssignmentFactory(assignee=cast.rep, course=course, due_date=dt.date(9999, 12, 31))
    session = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=LAST - dt.timedelta(hours=2),
        end=LAST - dt.timedelta(hours=1),
    )
    ActionItemFactory(session=session, due_date=dt.date(9999, 12, 31))
    # The furthest east of any time zone: the stored UTC time is already year 10000 there.
    User.objects.update(time_zone="Pacific/Kiritimati")
    return {"deal": deal.pk, "course": course.slug, "rep": cast.rep.pk}


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_a_page_with_an_extreme_row_still_renders(cast, extreme_rows, who, path):
    client = Client(raise_request_exception=True)
    client.force_login(cast[who])

    response = client.get(path.format(**extreme_rows))

    assert response.status_code == 200
