import pytest

from accounts.models import CrmIdentity
from deals.models import Deal
from integrations.services.sync import connection_sync
from tests.factories import UserFactory
from tests.integrations.factories import hubspot_connection

pytestmark = pytest.mark.django_db


def test_full_initial_sync_brings_every_deal_with_owner_and_stage(fake_hubspot, sleeps):
    rep = UserFactory(email="sam@example.com")
    CrmIdentity.objects.create(user=rep, source="hubspot", owner_id="101")
    for n in range(250):
        fake_hubspot.add_deal(dealname=f"Deal {n}", amount=str(1000 + n))
    won = fake_hubspot.add_deal(dealname="Big win", dealstage="closedwon", amount="50000")
    connection = hubspot_connection(fake_hubspot)

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    assert Deal.objects.filter(source="hubspot").count() == 251
    deal = Deal.objects.get(source="hubspot", external_id=won)
    assert (deal.name, deal.status, deal.stage, deal.owner) == ("Big win", "won", "Closed Won", rep)
    assert deal.amount == 50000
    connection.refresh_from_db()
    assert connection.watermark == max(d.source_updated_at for d in Deal.objects.all())
    assert connection.rows_synced == 251
    assert connection.last_error == ""
    assert sleeps == []
