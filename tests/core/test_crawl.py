"""Every page each demo role can reach from its home answers without an error (no 5xx, and no
4xx: a link shown to someone who may not follow it) and carries the Content Security Policy.

The in-process twin of the production stage's browser crawl (tests/production/crawl.py, run by
.ci/production), sharing its link policy."""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.demo import DEMO_LOGINS
from accounts.models import User
from tests.production.crawl import Frontier, links_in

pytestmark = pytest.mark.django_db

MAX_PAGES_PER_ROLE = 200


def _crawl(client: Client, role: str) -> tuple[int, list[str]]:
    frontier = Frontier(origin="http://testserver", role=role)
    frontier.add("/", "http://testserver/")
    html_pages, problems = 0, []
    while frontier.queue and html_pages < MAX_PAGES_PER_ROLE:
        path = frontier.queue.popleft()
        response = client.get(path, follow=True)
        if response.status_code >= 400:
            # 5xx: a bug; 4xx: a page that links somewhere its reader may not go
            source = frontier.found_on[path]
            problems.append(f"{response.status_code} {path} (linked from {source})")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html_pages += 1
        if "Content-Security-Policy" not in response:
            problems.append(f"no CSP header: {path}")
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        for url in links_in(response.content.decode()):
            frontier.add(url, f"http://testserver{final}")
    return html_pages, problems


def test_each_role_crawls_its_pages_without_errors_and_every_page_has_the_csp():
    # given the demo organisation
    call_command("seed_demo", stdout=None)

    for role, email in DEMO_LOGINS:
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(email=email))

        # when the role follows every link and GET form from its home
        html_pages, problems = _crawl(client, role)

        # then nothing failed, and the crawl saw more than the home page
        assert problems == [], role
        assert html_pages >= 5, role
