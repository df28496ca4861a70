from decimal import Decimal

import pytest

from accounts.models import CrmIdentity
from deals.models import Deal, DealChange
from integrations.services.sync import connection_sync
from tests.factories import UserFactory
from tests.integrations.factories import salesforce_connection

pytestmark = pytest.mark.django_db


def test_full_initial_sync_pages_through_opportunities_with_history(fake_salesforce, sleeps):
    rep = UserFactory()
    CrmIdentity.objects.create(user=rep, source="salesforce", owner_id="005000000000001AAA")
    for n in range(4500):
        fake_salesforce.add_opportunity(Name=f"Opp {n}", history=n < 10)
    won = fake_salesforce.add_opportunity(Name="Won one", StageName="Prospecting", Amount=1200.5)
    fake_salesforce.update_opportunity(won, StageName="Closed Won", Amount=1500.0)
    connection = salesforce_connection(fake_salesforce)

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    assert (run.pages, run.received, run.created, run.errors) == (3, 4501, 4501, 0)
    assert Deal.objects.filter(source="salesforce").count() == 4501
    deal = Deal.objects.get(source="salesforce", external_id=won)
    assert (deal.status, deal.stage, deal.amount, deal.currency) == (
        "won",
        "Closed Won",
        Decimal("1500.00"),
        "EUR",
    )
    assert deal.account_name == "Acme Corp"
    assert deal.owner == rep
    # The stage the deal had before it was won is known only from OpportunityFieldHistory.
    stages = list(
        DealChange.objects.filter(deal=deal, field="stage")
        .order_by("changed_at")
        .values_list("new_value", "changed_at")
    )
    assert [value for value, _ in stages] == ["Prospecting", "Closed Won"]
    assert stages[0][1] == deal.created_at
    amounts = DealChange.objects.filter(deal=deal, field="amount").order_by("changed_at")
    assert [c.new_value for c in amounts] == ["1200.50", "1500.00"]
