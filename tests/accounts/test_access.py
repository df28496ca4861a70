import pytest

from accounts.access import visible_users
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

EVERYONE = {
    "manager",
    "coach",
    "rep",
    "rep_peer",
    "other_manager",
    "other_coach",
    "other_rep",
    "leader",
    "admin",
}


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("rep", {"rep"}),
        ("coach", {"coach", "rep", "rep_peer"}),
        ("manager", {"manager", "rep", "rep_peer", "coach"}),
        ("other_rep", {"other_rep"}),
        ("leader", EVERYONE),
        ("admin", EVERYONE),
    ],
)
def test_each_role_sees_exactly_their_people(cast, viewer, expected):
    names = {
        name for name in EVERYONE if visible_users(cast[viewer]).filter(pk=cast[name].pk).exists()
    }
    assert names == expected


def test_a_key_sees_people_only_with_the_users_scope(cast):
    with_scope, _raw = make_api_key("users:read")
    write_scope, _raw = make_api_key("users:write")
    without, _raw = make_api_key("deals:write")

    assert visible_users(with_scope).count() == 9
    assert visible_users(write_scope).count() == 9
    assert visible_users(without).count() == 0


def test_an_inactive_user_sees_nobody(cast):
    cast.rep.is_active = False
    cast.rep.save()

    assert visible_users(cast.rep).count() == 0
