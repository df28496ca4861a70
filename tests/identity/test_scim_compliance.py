"""scim2-tester, a published SCIM compliance checker, against Coachline's /scim/v2/ served by a
live server: every check must pass."""

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from accounts.models import Scope
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_scim2_tester_passes_every_check(live_server):
    _key, raw = make_api_key(Scope.SCIM, name="Okta SCIM")
    http = httpx2.Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {raw}"},
        timeout=60,
    )
    client = SyncSCIMClient(http)
    results = check_server(client)

    failures = [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL)
    ]
    assert failures == [], "\n".join(failures)
    assert len([r for r in results if r.status == Status.SUCCESS]) > 30
