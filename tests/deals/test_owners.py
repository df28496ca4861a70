import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import CrmIdentity
from deals.models import Deal
from deals.selectors import exchange_rates_load
from deals.services import deal_owner_map, deals_attach_known_owners, deals_ingest
from tests.deals.factories import DealFactory, deal_row
from tests.factories import CrmIdentityFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/deals/deal/unmatched-owners/"


def unmatched(n, owner="005NEW", **kw):
    return DealFactory(owner=None, owner_external_id=owner, source="salesforce", **kw)


def test_mapping_an_owner_records_the_identity_and_attaches_all_their_deals(cast):
    unmatched(1), unmatched(2), unmatched(3, owner="005OTHER")

    attached = deal_owner_map(source="salesforce", owner_external_id="005NEW", user=cast.rep)

    assert attached == 2
    assert CrmIdentity.objects.get(source="salesforce", owner_id="005NEW").user == cast.rep
    assert Deal.objects.filter(owner=cast.rep).count() == 2
    # Later rows of that owner resolve straight away.
    deals_ingest(rows=[deal_row(9, owner_id="005NEW")])
    assert Deal.objects.get(external_id="006D000009").owner == cast.rep


def test_mapping_refuses_an_owner_id_that_belongs_to_someone_else(cast):
    CrmIdentityFactory(user=cast.rep_peer, source="salesforce", owner_id="005NEW")
    unmatched(1)

    with pytest.raises(ValidationError):
        deal_owner_map(source="salesforce", owner_external_id="005NEW", user=cast.rep)

    assert not Deal.objects.filter(owner=cast.rep).exists()


def test_mapping_refuses_a_person_who_has_another_id_in_that_crm(cast):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005OLD")
    unmatched(1)

    with pytest.raises(ValidationError):
        deal_owner_map(source="salesforce", owner_external_id="005NEW", user=cast.rep)

    assert Deal.objects.get().owner is None


def test_owners_known_since_are_attached(cast):
    unmatched(1)
    unmatched(2, owner="rep@example.com")
    CrmIdentityFactory(user=cast.rep_peer, source="salesforce", owner_id="005NEW")

    assert deals_attach_known_owners() == 2
    assert set(Deal.objects.values_list("owner", flat=True)) == {cast.rep.pk, cast.rep_peer.pk}


def test_admin_page_lists_unmatched_owners(cast, client):
    unmatched(1), unmatched(2, status="won", closed_at="2025-03-01T00:00:00Z")
    client.force_login(cast.admin)

    response = client.get(PAGE)

    assert response.status_code == 200
    [owner] = response.context["owners"]
    assert (owner.owner_external_id, owner.deal_count, owner.open_count) == ("005NEW", 2, 1)


def test_admin_page_maps_an_owner(cast, client):
    unmatched(1)
    client.force_login(cast.admin)

    response = client.post(
        PAGE, {"source": "salesforce", "owner_external_id": "005NEW", "user": cast.rep.pk}
    )

    assert response.status_code == 302
    assert Deal.objects.get().owner == cast.rep


def test_admin_page_attaches_known_owners(cast, client):
    unmatched(1)
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005NEW")
    client.force_login(cast.admin)

    client.post(PAGE, {"action": "attach_known"})

    assert Deal.objects.get().owner == cast.rep


@pytest.mark.parametrize("who", ["rep", "manager", "leader"])
def test_admin_page_is_closed_to_others(cast, client, who):
    unmatched(1)
    client.force_login(cast[who])

    response = client.post(
        PAGE, {"source": "salesforce", "owner_external_id": "005NEW", "user": cast.rep.pk}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Deal.objects.get().owner is None


def test_exchange_rates_are_editable_in_the_admin(cast, client):
    cast.admin.is_superuser = True  # model admin pages follow Django's permissions
    cast.admin.save()
    client.force_login(cast.admin)

    response = client.post(
        "/admin/deals/exchangerate/add/",
        {"currency": "EUR", "rate": "1.0850", "valid_from": "2025-01-01"},
    )

    assert response.status_code == 302

    rates = exchange_rates_load()
    assert rates.to_home(Decimal("100"), "EUR", dt.date(2025, 6, 1)) == Decimal("108.50")
    assert rates.to_home(Decimal("100"), "EUR", dt.date(2024, 6, 1)) is None
    assert rates.to_home(Decimal("100"), "USD", dt.date(2024, 6, 1)) == Decimal("100.00")


def test_the_hourly_task_attaches_known_owners(cast):
    from deals.tasks import attach_known_owners

    unmatched(1)
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005NEW")

    assert attach_known_owners.delay().get() == 1
    assert Deal.objects.get().owner == cast.rep
