"""Content Security Policy: a strict header on every response, templates that need nothing
inline, and a report endpoint that logs violations without being a way in."""

import json
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()  # the report endpoint counts per client address in the cache


ROOT = Path(settings.BASE_DIR)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)
INLINE = {
    "inline <script> (move it to static/js; pass data with json_script)": re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE
    ),
    "<style> block (move it to static/css)": re.compile(r"<style[\s>]", re.IGNORECASE),
    "inline event handler (use a data- attribute and static/js/app.js)": re.compile(
        r"\son[a-z]+\s*=", re.IGNORECASE
    ),
    "style attribute (use a class)": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def _sources() -> list[Path]:
    """Our templates, and the Python that writes HTML for them (template tags)."""
    return sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("*/templatetags/*.py"))


def _offences(text: str) -> list[str]:
    found = []
    for tag in TAG.findall(text):
        found += [f"{rule}: {tag[:90]}" for rule, pattern in INLINE.items() if pattern.search(tag)]
    return found


def test_the_scan_catches_each_kind_of_inline_code():
    # the rules themselves: each would have matched a line on the old main
    samples = [
        "<script>alert(1)</script>",
        "<style>p{color:red}</style>",
        '<button type="button" onclick="window.print()">',
        "<form onsubmit=\"return confirm('x')\">",
        '<span style="width: 40%">',
        '<a href="javascript:void(0)">',
    ]
    assert [len(_offences(sample)) for sample in samples] == [1, 1, 1, 1, 1, 1]
    assert _offences('<script src="/static/js/app.js" defer></script>') == []
    assert _offences('<div class="progress pct-40" data-confirm="Sure?">') == []


def test_no_template_has_an_inline_script_handler_or_style():
    offences = [
        f"{path.relative_to(ROOT)}: {offence}"
        for path in _sources()
        for offence in _offences(path.read_text())
    ]
    assert offences == []


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.parametrize("who", [None, "rep", "coach", "manager", "leader", "admin"])
def test_every_kind_of_page_carries_the_strict_policy(cast, who):
    client = Client()
    if who:
        client.force_login(cast[who])
    paths = ["/", "/accounts/login/", "/no-such-page/", "/api/docs/", "/healthz"]
    if who == "admin":
        paths.append("/admin/")

    for path in paths:
        response = client.get(path)

        assert response.status_code < 500, path
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["report-uri"] == ["/csp-report/"], path


def test_the_api_docs_load_their_start_up_script_from_a_url(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    html = page.content.decode()
    assert _offences(html) == []
    assert 'src="/api/docs/?script="' in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


REPORT = {
    "csp-report": {
        "document-uri": "https://coachline.example.com/learn/",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "source-file": "https://coachline.example.com/learn/",
        "line-number": 12,
        "original-policy": "default-src 'self'",
    }
}


def _logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "coachline.csp"]


def _post(client, body: bytes | str, content_type: str = "application/csp-report"):
    return client.post("/csp-report/", data=body, content_type=content_type)


def test_a_violation_report_is_logged_in_one_line(client, caplog):
    with caplog.at_level(logging.WARNING, logger="coachline.csp"):
        response = _post(client, json.dumps(REPORT))

    assert response.status_code == 204
    assert _logged(caplog) == [
        "CSP violation: document-uri=https://coachline.example.com/learn/ "
        "effective-directive=script-src-elem violated-directive=script-src-elem "
        "blocked-uri=inline source-file=https://coachline.example.com/learn/ line-number=12"
    ]


def test_a_reporting_api_batch_is_logged_too(client, caplog):
    batch = [
        {"type": "csp-violation", "body": {"documentURL": "https://x/a", "blockedURL": "eval"}},
        {"type": "deprecation", "body": {"id": "x"}},
    ]
    with caplog.at_level(logging.WARNING, logger="coachline.csp"):
        response = _post(client, json.dumps(batch), "application/reports+json")

    assert response.status_code == 204
    assert _logged(caplog) == ["CSP violation: document-uri=https://x/a blocked-uri=eval"]


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe", b"[]", b"[1, 2]", b'{"csp-report": "x"}', b"null", b"[" * 5000],
)
def test_junk_is_refused_with_400_and_not_logged(client, caplog, body):
    with caplog.at_level(logging.WARNING, logger="coachline.csp"):
        response = _post(client, body)

    assert response.status_code == 400
    assert _logged(caplog) == []


def test_a_newline_in_a_report_cannot_forge_a_log_line(client, caplog):
    report = {"csp-report": {"blocked-uri": "x\nCRITICAL fake entry"}}
    with caplog.at_level(logging.WARNING, logger="coachline.csp"):
        _post(client, json.dumps(report))

    assert _logged(caplog) == ["CSP violation: blocked-uri=x CRITICAL fake entry"]


def test_big_bodies_and_other_methods_are_refused(client):
    big = json.dumps({"csp-report": {"blocked-uri": "x" * 20_000}})

    assert _post(client, big).status_code == 413
    assert client.get("/csp-report/").status_code == 405


def test_reports_are_rate_bounded_per_client(client, caplog, settings):
    settings.CSP_REPORTS_PER_MINUTE = 3
    with caplog.at_level(logging.WARNING, logger="coachline.csp"):
        statuses = [_post(client, json.dumps(REPORT)).status_code for _ in range(5)]

    assert statuses == [204, 204, 204, 429, 429]
    assert len(_logged(caplog)) == 3
