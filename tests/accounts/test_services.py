import pytest
from django.core.exceptions import ValidationError

from accounts.models import CrmIdentity
from accounts.services import crm_identity_create

pytestmark = pytest.mark.django_db


def test_crm_identity_create_is_idempotent_for_the_same_person(cast):
    first = crm_identity_create(user=cast.rep, source="hubspot", owner_id="77")

    again = crm_identity_create(user=cast.rep, source="hubspot", owner_id="77")

    assert again.pk == first.pk
    assert CrmIdentity.objects.filter(source="hubspot").count() == 1


def test_an_owner_id_of_someone_else_is_refused(cast):
    crm_identity_create(user=cast.rep, source="hubspot", owner_id="77")

    with pytest.raises(ValidationError, match="already belongs to Remy Rep"):
        crm_identity_create(user=cast.rep_peer, source="hubspot", owner_id="77")
    assert not CrmIdentity.objects.filter(user=cast.rep_peer).exists()


def test_a_second_owner_id_in_the_same_crm_is_refused(cast):
    crm_identity_create(user=cast.rep, source="hubspot", owner_id="77")

    with pytest.raises(ValidationError, match="already has another hubspot owner id"):
        crm_identity_create(user=cast.rep, source="hubspot", owner_id="78")
    assert list(CrmIdentity.objects.values_list("owner_id", flat=True)) == ["77"]
