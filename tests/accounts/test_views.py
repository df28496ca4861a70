import pytest
from django.core import mail

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_with_email_and_password(cast, client):
    response = client.post(
        "/accounts/login/", {"username": "rep@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("email", ["rep@example.com", "nobody@example.com"])
def test_wrong_login_gives_the_same_message_whether_or_not_the_email_exists(cast, client, email):
    response = client.post("/accounts/login/", {"username": email, "password": "wrong"})

    assert response.status_code == 200
    assert "That email and password do not match" in response.content.decode()


def test_home_needs_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout(cast, client):
    client.force_login(cast.rep)

    client.post("/accounts/logout/")

    assert client.get("/").status_code == 302


def test_password_reset_sends_a_link_only_to_known_people(cast, client):
    client.post("/accounts/password-reset/", {"email": "rep@example.com"})
    client.post("/accounts/password-reset/", {"email": "nobody@example.com"})

    assert [m.to for m in mail.outbox] == [["rep@example.com"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_profile_changes_language_and_time_zone(cast, client):
    client.force_login(cast.rep)

    response = client.post(
        "/accounts/profile/",
        {"full_name": "Remy R.", "language": "de", "time_zone": "Europe/Berlin"},
    )

    assert response.status_code == 302
    cast.rep.refresh_from_db()
    assert (cast.rep.language, cast.rep.time_zone) == ("de", "Europe/Berlin")
    page = client.get("/accounts/profile/")
    assert page["Content-Language"] == "de"
    assert 'lang="de"' in page.content.decode()
    assert "Abmelden" in page.content.decode()


def test_people_page_shows_only_visible_people(cast, client, django_assert_max_num_queries):
    client.force_login(cast.coach)

    # session, user, count (the page is paginated), people (+team, manager), crm ids, coaches,
    # the team choices of the search form
    with django_assert_max_num_queries(7):
        body = client.get("/accounts/people/").content.decode()

    assert "Remy Rep" in body and "Pat Peer" in body
    assert "Otto Rep" not in body
