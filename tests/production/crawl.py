"""Crawl the running site as each demo role, the way a person clicks through it.

    python -m tests.production.crawl --base-url http://127.0.0.1:8101

Logs in as each demo role in Debian's Chromium (Playwright), then follows every same-origin
link and GET form reachable from the role's home, and fails on any 5xx, any 4xx (a link the
role is shown but may not follow), any HTML response without a Content-Security-Policy header,
and any JavaScript console error or CSP violation.
Bounded: a few URLs per URL shape (ids and dates collapsed), a page cap per role, a time budget.
Exit status 0 when clean, 1 when anything failed; the counts per role are printed either way.

The link policy (what to follow, how to bound it) is shared with the in-process crawl in the
test suite (tests/core/test_crawl.py), which uses Django's test client instead of a browser.
"""

import argparse
import re
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

DEMO_PASSWORD = "coachline-demo"  # the public demo login (accounts/demo.py)
ROLES = ["rep", "coach", "manager", "leader", "admin"]
# Never followed: logging out ends the crawl's session; language switching and CSP reports are
# POST endpoints; static files are checked by the pages that load them.
SKIP_PREFIXES = (
    "/accounts/logout/",
    "/admin/logout/",
    "/i18n/",
    "/static/",
    "/media/",
    "/csp-report/",
)
MAX_PER_SHAPE = 3

_ID_SEGMENT = re.compile(r"\d|^[0-9a-f-]{16,}$")


def url_shape(path_query: str) -> str:
    """/deals/123/?page=2 and /deals/456/?page=3 have one shape: /deals/{}/?page."""
    parts = urlsplit(path_query)
    path = "/".join("{}" if _ID_SEGMENT.search(seg) else seg for seg in parts.path.split("/"))
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return f"{path}?{'&'.join(keys)}"


@dataclass
class Frontier:
    """Breadth-first queue of same-origin paths, at most MAX_PER_SHAPE per URL shape."""

    origin: str
    role: str
    queue: deque[str] = field(default_factory=deque)
    seen: set[str] = field(default_factory=set)
    shapes: dict[str, int] = field(default_factory=dict)
    found_on: dict[str, str] = field(default_factory=dict)

    def add(self, url: str, base: str) -> None:
        absolute = urljoin(base, url.strip())
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return  # another site, or mailto:, tel:, javascript:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in self.seen or not self.allows(parts.path):
            return
        shape = url_shape(path)
        if self.shapes.get(shape, 0) >= MAX_PER_SHAPE:
            return
        self.shapes[shape] = self.shapes.get(shape, 0) + 1
        self.seen.add(path)
        self.found_on[path] = urlsplit(base).path
        self.queue.append(path)

    def allows(self, path: str) -> bool:
        if path.startswith(SKIP_PREFIXES):
            return False
        # The Django admin is for admins; others are only sent to its login page.
        return self.role == "admin" or not path.startswith("/admin/")


class LinkParser(HTMLParser):
    """Links and GET forms (submitted with their current values) in a page's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.urls.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "get":
            self._form = (a.get("action", ""), [])
        elif self._form is None or "name" not in a or "disabled" in a:
            return
        elif tag == "input" and a.get("type", "text") not in {"submit", "button", "file", "image"}:
            if a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self._form[1].append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._first_option, self._chosen = a["name"], None, False
        elif tag == "textarea":
            self._form[1].append((a["name"], ""))
        if tag == "option" and self._select is not None and self._form is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a and not self._chosen:
                self._form[1].append((self._select, value))
                self._chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._form is not None:
            if not self._chosen and self._first_option is not None:
                self._form[1].append((self._select, self._first_option))
            self._select = None
        elif tag == "form" and self._form is not None:
            action, fields = self._form
            self.urls.append(f"{action.split('?')[0] or '.'}?{urlencode(fields)}")
            self._form = None


def links_in(html: str) -> list[str]:
    parser = LinkParser()
    parser.feed(html)
    return parser.urls


# In the browser the DOM answers the same question (forms as the browser would submit them).
LINKS_JS = """() => {
  const urls = Array.from(document.querySelectorAll('a[href]'), a => a.href);
  for (const form of document.forms) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    // getAttribute: a control named "action" shadows form.action
    const url = new URL(form.getAttribute('action') || location.href, location.href);
    url.search = '';
    for (const [key, value] of new FormData(form)) {
      if (typeof value === 'string') url.searchParams.append(key, value);
    }
    urls.push(url.href);
  }
  return urls;
}"""
# Recorded in every page before its own scripts run (Playwright injects it, outside the CSP).
VIOLATIONS_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`
  + ` at ${e.sourceFile}:${e.lineNumber}`));
"""


@dataclass
class RoleResult:
    role: str
    html_pages: int = 0
    other: int = 0
    failures: list[str] = field(default_factory=list)
    stopped_early: str = ""


def crawl_role(browser, base_url: str, role: str, max_pages: int, deadline: float) -> RoleResult:  # type: ignore[no-untyped-def]
    result = RoleResult(role)
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(30_000)
    context.add_init_script(VIOLATIONS_JS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(f"{role}@demo.coachline.app")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path.startswith("/accounts/login/"):
        result.failures.append("login failed")
        context.close()
        return result

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    frontier = Frontier(origin=origin, role=role)
    frontier.add("/", base_url)
    while frontier.queue:
        if result.html_pages + result.other >= max_pages:
            result.stopped_early = f"page cap {max_pages}"
            break
        if time.monotonic() > deadline:
            result.stopped_early = "time budget"
            break
        path = frontier.queue.popleft()
        # The request API first: status and headers of anything (CSV downloads, iCalendar,
        # JSON, HTML) without the browser starting a download; then HTML in the page itself.
        response = context.request.get(path, max_redirects=5)
        content_type = response.headers.get("content-type", "")
        if response.status >= 400:
            # 5xx: a bug; 4xx: a page that links somewhere its reader may not go
            result.failures.append(
                f"{response.status} {path} (linked from {frontier.found_on.get(path)})"
            )
            continue
        if not content_type.startswith("text/html"):
            result.other += 1
            continue
        result.html_pages += 1
        if "content-security-policy" not in response.headers:
            result.failures.append(f"no CSP header: {path}")
        console.clear()
        page.goto(path, wait_until="load")
        # Late console errors (a chart drawn on DOMContentLoaded, a failed fetch) land here too.
        page.wait_for_timeout(50)
        violations = page.evaluate("() => window.__cspViolations || []")
        result.failures += [f"CSP violation on {path}: {v}" for v in violations]
        result.failures += [f"console error on {path}: {text}" for text in console]
        for url in page.evaluate(LINKS_JS):
            frontier.add(url, page.url)
    context.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8101")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--max-pages", type=int, default=150, help="per role")
    parser.add_argument("--budget", type=float, default=480, help="seconds, all roles")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    deadline = time.monotonic() + args.budget
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=list(CHROMIUM_ARGS),
        )
        for role in args.roles.split(","):
            started = time.monotonic()
            result = crawl_role(browser, args.base_url, role, args.max_pages, deadline)
            results.append(result)
            note = f" (stopped: {result.stopped_early})" if result.stopped_early else ""
            print(
                f"crawl {role:<8} {result.html_pages:>4} HTML pages, {result.other:>3} other "
                f"responses, {len(result.failures)} failures, "
                f"{time.monotonic() - started:.0f}s{note}",
                flush=True,
            )
        browser.close()
    failures = [f"{r.role}: {f}" for r in results for f in r.failures]
    for failure in failures[:100]:
        print(f"  FAIL {failure}")
    total = sum(r.html_pages + r.other for r in results)
    print(f"crawl: {total} responses, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
