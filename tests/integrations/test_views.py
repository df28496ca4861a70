import pytest

from tests.integrations.factories import HubSpotConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/integrations/",
        "/integrations/hubspot/",
        "/integrations/salesforce/",
        "/integrations/webhooks/new/",
    ],
)
def test_admin_pages_render(cast, client, url):
    HubSpotConnectionFactory()
    client.force_login(cast.admin)

    response = client.get(url)

    assert response.status_code == 200
