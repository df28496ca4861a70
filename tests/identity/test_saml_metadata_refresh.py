"""The IdP metadata is read again from its URL by a beat job, so a rotated signing certificate
is picked up without a save of the SSO page; the fetch (also at save) goes through the webhooks'
SSRF guard. Against pysaml2's real IdP on loopback."""

import logging

import pytest
from saml2.metadata import entity_descriptor

from accounts.models import SingleSignOn
from accounts.tasks import refresh_saml_metadata
from config.celery import app
from tests.identity.conftest import DOWN_PORT, saml_sign_in

pytestmark = pytest.mark.django_db


def _stale_metadata(saml_sso) -> str:  # type: ignore[no-untyped-def]
    """The IdP's metadata as it was before it rotated its key: the same entity, another cert."""
    return str(entity_descriptor(saml_sso.server(rogue=True).config))


def test_a_rotated_certificate_is_picked_up_by_the_refresh(cast, client, saml_sso):
    SingleSignOn.objects.filter(pk=1).update(saml_idp_metadata_xml=_stale_metadata(saml_sso))
    assert saml_sign_in(client).status_code == 400  # signed with a key the stored cert is not

    assert refresh_saml_metadata() == "updated"
    assert refresh_saml_metadata() == "unchanged"

    assert SingleSignOn.current().saml_idp_metadata_xml == saml_sso.metadata_xml()
    assert saml_sign_in(client).status_code == 302


def test_a_metadata_url_on_loopback_is_refused_by_the_ssrf_guard(
    cast, client, saml_sso, settings, caplog
):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    stale = _stale_metadata(saml_sso)
    SingleSignOn.objects.filter(pk=1).update(saml_idp_metadata_xml=stale)

    with caplog.at_level(logging.WARNING, logger="accounts.saml"):
        assert refresh_saml_metadata() == "failed"
    client.force_login(cast.admin)
    saved = client.post(
        "/accounts/sso/",
        {
            "saml_enabled": "on",
            "saml_idp_metadata_url": f"{saml_sso.url}/metadata",
            "groups_claim": "groups",
            "jit_enabled": "on",
        },
    )

    assert SingleSignOn.current().saml_idp_metadata_xml == stale
    assert "loopback" in caplog.text
    assert saved.status_code == 200
    assert "loopback" in saved.context["form"].errors["saml_idp_metadata_url"][0]


def test_a_provider_that_is_down_keeps_the_stored_metadata(cast, saml_sso):
    SingleSignOn.objects.filter(pk=1).update(
        saml_idp_metadata_url=f"http://127.0.0.1:{DOWN_PORT}/metadata"
    )
    stored = SingleSignOn.current().saml_idp_metadata_xml

    assert refresh_saml_metadata() == "failed"
    assert SingleSignOn.current().saml_idp_metadata_xml == stored


def test_metadata_for_another_provider_is_not_taken(cast, saml_sso):
    SingleSignOn.objects.filter(pk=1).update(saml_idp_entity_id="https://other.example/idp")
    stored = SingleSignOn.current().saml_idp_metadata_xml

    assert refresh_saml_metadata() == "failed"
    assert SingleSignOn.current().saml_idp_metadata_xml == stored


def test_nothing_to_refresh_without_saml_or_a_url(db):
    assert refresh_saml_metadata() == "off"


def test_beat_runs_the_refresh():
    entry = app.conf.beat_schedule["accounts-refresh-saml-metadata"]
    assert entry["task"] == refresh_saml_metadata.name
