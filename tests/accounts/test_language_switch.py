"""Which language a page speaks: a signed-in person's saved choice, else the language cookie,
else the browser's Accept-Language (also after signing in); the header switcher saves a signed-in
person's choice to their profile and an anonymous visitor's to Django's language cookie."""

import pytest
from django.conf import settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SETLANG = "/i18n/setlang/"


def test_an_anonymous_choice_goes_into_the_language_cookie_only(client):
    response = client.post(SETLANG, {"language": "de", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "de"
    assert "Bei Coachline anmelden" in page.content.decode()


def test_a_signed_in_choice_is_saved_to_the_profile(cast, client):
    client.force_login(cast.rep)

    response = client.post(SETLANG, {"language": "de", "next": "/"})

    assert response.status_code == 302
    cast.rep.refresh_from_db()
    assert cast.rep.language == "de"
    # The profile wins over a browser that asks for English, also without the cookie.
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "de"
    assert "Abmelden" in page.content.decode()


def test_an_unknown_language_is_neither_saved_nor_set(cast, client):
    client.force_login(cast.rep)

    response = client.post(SETLANG, {"language": "fr", "next": "/"})

    assert response.status_code == 302
    cast.rep.refresh_from_db()
    assert cast.rep.language == ""
    # Django sets any language it has a catalogue for in the cookie; LocaleMiddleware then
    # skips one the site does not offer and asks the browser.
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"


def test_the_switcher_answers_only_post(client):
    assert client.get(SETLANG + "?language=de").status_code == 405


@pytest.mark.parametrize(("accept", "expected"), [("de-DE,de;q=0.9,en;q=0.5", "de"), ("en", "en")])
def test_without_a_saved_language_the_browser_decides_after_login(cast, client, accept, expected):
    assert cast.rep.language == ""

    response = client.post(
        "/accounts/login/",
        {"username": cast.rep.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE=accept,
        follow=True,
    )

    assert response.wsgi_request.user == cast.rep
    assert response["Content-Language"] == expected


def test_a_cookie_chosen_before_login_carries_over_for_someone_who_never_chose(cast, client):
    client.post(SETLANG, {"language": "de", "next": "/"})
    client.force_login(cast.rep)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert page["Content-Language"] == "de"
    cast.rep.refresh_from_db()
    assert cast.rep.language == ""


def test_a_saved_language_beats_the_browser(cast, client):
    cast.rep.language = "en"
    cast.rep.save(update_fields=["language"])
    client.force_login(cast.rep)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de")

    assert page["Content-Language"] == "en"


def test_the_header_and_the_login_page_show_the_switcher_with_the_current_language_pressed(
    cast, client
):
    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'action="/i18n/setlang/"' in login
    assert 'value="de" lang="de" aria-pressed="true"' in login
    assert 'value="en" lang="en" aria-pressed="false"' in login

    client.force_login(cast.rep)
    home = client.get("/learn/catalog/?q=x", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="next" value="/learn/catalog/?q=x"' in home
    assert 'value="en" lang="en" aria-pressed="true"' in home


def test_the_profile_can_go_back_to_following_the_browser(cast, client):
    cast.rep.language = "de"
    cast.rep.save(update_fields=["language"])
    client.force_login(cast.rep)

    response = client.post(
        "/accounts/profile/",
        {"full_name": cast.rep.full_name, "language": "", "time_zone": "UTC"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    cast.rep.refresh_from_db()
    assert cast.rep.language == ""
    assert cast.rep.message_language == settings.LANGUAGE_CODE
