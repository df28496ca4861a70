"""A real OpenID Connect provider (django-oauth-toolkit, tests/identity/oidc_provider) run in its
own process on loopback for the identity tests; started once per test process, stopped after."""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from accounts.models import SingleSignOn
from tests.fakes.fixtures import field_encryption_key  # noqa: F401
from tests.identity.saml_idp import IdentityProvider

ROOT = Path(__file__).resolve().parents[2]
# Ports 8810-8889 are this suite's: 20 per xdist worker (gw0 from 8810, gw1 from 8830, ...; a
# run without xdist from 8870), the first free one taken. 8899 never has a server.
BASE_PORT = 8810
DOWN_PORT = 8899


def _port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw3")
    start = BASE_PORT + 20 * (int(worker.removeprefix("gw") or 3) % 4)
    for port in range(start, start + 20):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{start + 19} for the test OIDC provider")


@dataclass
class Provider:
    url: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def control(self, **settings: Any) -> None:
        response = requests.post(f"{self.url}/test/control", json=settings, timeout=10)
        response.raise_for_status()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = _port()
    directory = tmp_path_factory.mktemp("oidc-provider")
    log = (directory / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity.oidc_provider.serve", str(port)],
        cwd=ROOT,
        env={
            **os.environ,
            "OIDC_PROVIDER_DB": str(directory / "provider.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "tests.identity.oidc_provider.settings",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    provider = Provider(url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(
                    f"{provider.issuer}/.well-known/openid-configuration", timeout=2
                ).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = (directory / "provider.log").read_text()
                raise RuntimeError(f"the test OIDC provider did not start: {output}")
            time.sleep(0.3)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(autouse=True)
def _secrets_need_a_key(field_encryption_key: str) -> None:  # noqa: F811
    pass


@pytest.fixture(autouse=True)
def _providers_on_loopback(settings: Any) -> None:
    # The test providers listen on 127.0.0.1: let the SSRF guard (events.destinations) that
    # admin-typed URLs go through reach them; test_saml_metadata_refresh turns it back on.
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def oidc_sso(db: Any, oidc_provider: Provider) -> Iterator[Provider]:
    """Coachline configured for the provider; its claims reset to Ada's own."""
    oidc_provider.control(
        tamper="",
        email="",
        name="",
        groups=[],
        verified=True,
        redirect_uris=["http://testserver/accounts/sso/oidc/callback/"],
        post_logout_redirect_uris=["http://testserver/accounts/login/"],
    )
    SingleSignOn.objects.update_or_create(
        pk=1,
        defaults={
            "oidc_enabled": True,
            "provider_name": "Test IdP",
            "oidc_issuer": oidc_provider.issuer,
            "oidc_client_id": "coachline",
            "oidc_client_secret": "coachline-secret",
            "allowed_domains": ["example.com"],
            "jit_enabled": True,
        },
    )
    yield oidc_provider


def sign_in_at_provider(client: Any, *, start: str = "/accounts/sso/oidc/login/") -> Any:
    """Start at Coachline, sign in as Ada at the provider (a real HTTP session), and return
    Coachline's answer to the callback the provider redirected to."""
    begin = client.get(start)
    assert begin.status_code == 302, begin.content[:500]
    browser = requests.Session()
    authorize_url = begin["Location"]
    answer = browser.get(authorize_url, allow_redirects=False, timeout=10)
    login_url = urljoin(authorize_url, answer.headers["Location"])
    browser.get(login_url, timeout=10)
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    answer = browser.post(
        login_url,
        data={
            "username": "ada",
            "password": "ada-password",
            "next": next_url,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=10,
    )
    answer = browser.get(
        urljoin(login_url, answer.headers["Location"]), allow_redirects=False, timeout=10
    )
    callback = answer.headers["Location"]
    assert callback.startswith("http://testserver/accounts/sso/oidc/callback/"), callback
    return client.get(callback.removeprefix("http://testserver"))


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    idp = IdentityProvider(directory=tmp_path_factory.mktemp("saml-idp"))
    idp.start()
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture
def saml_sso(db: Any, saml_idp: IdentityProvider, client: Any) -> Iterator[IdentityProvider]:
    """Coachline configured with the IdP's metadata, and the IdP with Coachline's (each read
    from the other's metadata URL, as an admin would set them up); Ada's answers reset."""
    saml_idp.mode = ""
    saml_idp.email = "ada@example.com"
    saml_idp.attributes = {}
    saml_idp.sp_metadata = [client.get("/accounts/sso/saml/metadata/").content.decode()]
    SingleSignOn.objects.update_or_create(
        pk=1,
        defaults={
            "saml_enabled": True,
            "provider_name": "Test IdP",
            "saml_idp_metadata_url": f"{saml_idp.url}/metadata",
            "saml_idp_metadata_xml": requests.get(f"{saml_idp.url}/metadata", timeout=10).text,
            "saml_idp_entity_id": saml_idp.entity_id,
            "allowed_domains": ["example.com"],
            "jit_enabled": True,
        },
    )
    yield saml_idp


def saml_form(html: str) -> dict[str, str]:
    """The fields of the IdP's auto-posting form."""
    fields = dict(re.findall(r"name='(SAMLResponse|RelayState)' value='([^']*)'", html))
    return {name: unescape(value) for name, value in fields.items()}


def saml_sign_in(client: Any, *, start: str = "/accounts/sso/saml/login/") -> Any:
    """Start at Coachline, let the IdP answer (a real HTTP request), and return Coachline's
    answer to the form the IdP's page posts."""
    begin = client.get(start)
    assert begin.status_code == 302, begin.content[:500]
    page = requests.get(begin["Location"], timeout=10)
    page.raise_for_status()
    return client.post("/accounts/sso/saml/acs/", saml_form(page.text))
