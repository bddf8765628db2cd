"""Every page fits a 360 px phone, for every role (issue 12, "phone-first pages").

The pages are those of the access matrix (tests/accounts/test_access_matrix.py): every GET page
of the URL resolver that a persona's role may open, with the matrix's objects (build_world) in
its scope. Each persona opens them in one chromium context at 360 px, and a page fails when

- the document is wider than the window (horizontal scroll);
- an element cuts its text off (`overflow` other than visible, or an ellipsis, with content
  wider than its box), a table scrolls sideways inside its wrapper (tables become cards on a
  phone; `<table data-keep-table>` is the declared exception);
- a chart label is smaller than 11 px as drawn on the screen.

The test fails with the list of offending pages. `make test` runs a representative subset; the
whole crawl (every page × every role) is `heavy`, and `JAGA_HEAVY_SHORT=1` keeps three roles.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.urls import reverse

from jaga.accounts.models import Role
from jaga.territory.models import Territory
from tests.accounts.test_access_matrix import PAGES, PERSONAS, VILLAGE_A, Route, _url
from tests.browser.conftest import PHONE, goto, login
from tests.factories import PostingFactory, UserFactory, build_world

MIN_LABEL_PX = 11
NO_PAGE = ("Download is starting", "ERR_HTTP_RESPONSE_CODE", "chrome-error://", "interrupted by")
# Answers that are files or data, not pages: by the path's extension or the route's name.
FILE_URL = re.compile(r"\.(json|csv|xml|xlsx|pdf|png|jpe?g|txt|js)$|format=")
FILE_ROUTE = re.compile(r"(export|_csv|_json|photo|_file|document|template)$|^open311:")

# Routes that are no page to look at: downloads, files, redirects to elsewhere, logout.
NOT_PAGES = (
    "admin:",
    "set_language",
    "javascript-catalog",
    "accounts:logout",
    "media",
)

# The phone checks, run in the page. Returns a list of problems (strings).
MEASURE = """
(minLabel) => {
  const doc = document.documentElement;
  const width = Math.min(doc.clientWidth, window.innerWidth);
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const text = (el) => (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
  if (doc.scrollWidth > width) {
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1 && !el.closest('.table-wrap')) wide.push(name(el));
      if (wide.length >= 3) break;
    }
    problems.push(`${doc.scrollWidth} px wide in a ${width} px window (${wide.join(', ')})`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (['SELECT', 'INPUT', 'TEXTAREA', 'OPTION', 'svg'].includes(el.tagName) || el.closest('svg')) continue;
    if (el.closest('.leaflet-container')) continue;  // a map clips its panes by design
    if (!el.getClientRects().length || el.clientWidth <= 2) continue;  // hidden, or visually hidden
    const style = getComputedStyle(el);
    const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
    if (!clips || el.scrollWidth <= el.clientWidth + 1 || !text(el)) continue;
    if (el.classList.contains('table-wrap')) {
      if (!el.querySelector('table[data-keep-table]')) problems.push(`table scrolls sideways: ${name(el)} "${text(el)}"`);
    } else {
      problems.push(`text cut off: ${name(el)} "${text(el)}"`);
    }
  }
  for (const label of document.querySelectorAll('svg text')) {
    if (!label.getClientRects().length || !text(label)) continue;
    const m = label.getScreenCTM();
    if (!m) continue;
    const px = parseFloat(getComputedStyle(label).fontSize) * Math.hypot(m.a, m.b);
    if (px < minLabel - 0.05) problems.push(`chart label ${px.toFixed(1)} px: "${text(label)}"`);
  }
  return [...new Set(problems)].slice(0, 6);
}
"""

# (persona, role) of the crawl: one persona per role (Charlie is Bob's role elsewhere).
CRAWL = [p for p in PERSONAS if p != "charlie"]
SHORT = ["anonymous", "alice", "leader"]

# `make test`: the pages people open most, per role (route ids of the access matrix).
SUBSET = {
    "anonymous": ["core:home", "servicedesk:report", "portal:territory"],
    "warga": ["core:home", "servicedesk:track_lookup", "servicedesk:my_reports"],
    "partner": ["programs:activities", "partners:index"],
    "alice": ["core:home", "fieldwork:index", "fieldwork:visit_new", "servicedesk:detail"],
    "bob": ["servicedesk:queue", "incidents:index"],
    "satbinmas": ["programs:participation", "analytics:hotspots"],
    "leader": ["core:home", "analytics:dashboard", "territory:detail"],
    "admin": ["accounts:profile"],
}


def _opens(persona: str, route: Route) -> bool:
    if route.kind != "page" or route.id.startswith(NOT_PAGES):
        return False
    posting = PERSONAS[persona]
    if route.public:
        return True
    return posting is not None and posting[0] in route.roles


def _world() -> tuple[dict[str, Any], dict[str, Any]]:
    from jaga.territory.polres import ensure_country

    ensure_country()  # the national persona's posting names the country
    users: dict[str, Any] = {}
    for name, posting in PERSONAS.items():
        if posting is None:
            continue
        role, code = posting
        if name == "admin":
            users[name] = UserFactory(username="fit-admin", is_staff=True, is_superuser=True)
            continue
        user = UserFactory(username=f"fit-{name}")
        PostingFactory(user=user, role=role, territory=Territory.objects.get(code=code))
        users[name] = user
    return users, build_world(users)


def _pages_of(persona: str, objects: dict[str, Any], only: list[str] | None) -> list[str]:
    urls = []
    for route in PAGES:
        if not _opens(persona, route) or (only is not None and route.id not in only):
            continue
        url, _kind = _url(route, objects["A"], objects["shared"], VILLAGE_A)
        if not (FILE_URL.search(url) or FILE_ROUTE.search(route.id)):
            urls.append(url)
    return sorted(set(urls))


def _crawl(browser: Any, base_url: str, personas: list[str], subset: bool) -> list[str]:
    users, objects = _world()
    offending: list[str] = []
    opened = 0
    for persona in personas:
        only = SUBSET.get(persona, []) if subset else None
        context = browser.new_context(
            base_url=base_url,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="id-ID",
            accept_downloads=True,
        )
        context.set_default_timeout(30_000)
        context.jaga_base_url = base_url
        page = context.new_page()
        if persona in users:
            login(page, users[persona])
        for url in _pages_of(persona, objects, only):
            try:
                response = page.goto(url)
            except Exception as exc:
                # A download (CSV, PDF, XLSX, a photo), an empty answer (a POST-only route's
                # 405) or a plain-text answer chromium shows as an error page is no page.
                if any(sign in str(exc) for sign in NO_PAGE):
                    continue
                raise
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            opened += 1
            problems = page.evaluate(MEASURE, MIN_LABEL_PX)
            if problems:
                offending.append(f"{persona} {url}: " + "; ".join(problems))
        context.close()
    assert opened >= (len(personas) if subset else 20 * len(personas)), f"only {opened} pages"
    return offending


def test_main_pages_fit_a_phone(browser: Any, base_url: str) -> None:
    """The pages each role opens most, at 360 px."""
    offending = _crawl(browser, base_url, list(SUBSET), subset=True)
    assert not offending, "pages that do not fit a 360 px phone:\n" + "\n".join(offending)


@pytest.mark.heavy
def test_every_page_fits_a_phone_for_every_role(browser: Any, base_url: str) -> None:
    """Every GET page × every role, at 360 px (JAGA_HEAVY_SHORT=1: three roles)."""
    personas = SHORT if os.environ.get("JAGA_HEAVY_SHORT") == "1" else CRAWL
    offending = _crawl(browser, base_url, personas, subset=False)
    assert not offending, "pages that do not fit a 360 px phone:\n" + "\n".join(offending)


def test_the_checks_catch_a_page_that_does_not_fit(browser: Any, base_url: str) -> None:
    """The measure itself: a too-wide block, a cut-off value, a scrolling table and a tiny chart
    label are each reported; the same page with cards and wrapping is not."""
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    page.goto(reverse("accounts:login"))
    assert page.evaluate(MEASURE, MIN_LABEL_PX) == []
    bad = page.evaluate(
        """() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
          '<div style="width:500px">wide</div>' +
          '<p style="width:80px;overflow:hidden;white-space:nowrap">66 (84%) of the invitations</p>' +
          '<div class="table-wrap"><table data-probe><tbody><tr><td style="white-space:nowrap">' +
          'a very long cell that will not wrap at all in a phone window of 360 pixels</td></tr></tbody></table></div>' +
          '<svg class="chart" viewBox="0 0 720 100" width="100%" style="font-size:11px"><text x="5" y="50">Jan</text></svg>');
      }"""
    )
    problems = page.evaluate(MEASURE, MIN_LABEL_PX)
    joined = "\n".join(problems)
    assert "px wide in a 360 px window" in joined
    assert 'text cut off: p "66 (84%) of the invitations"' in joined
    assert "table scrolls sideways" in joined
    assert "chart label" in joined and '"Jan"' in joined
    assert bad is None
    context.close()


def test_the_menu_opens_on_a_phone(phone_page: Any) -> None:
    """At 360 px the menu is folded behind its button and opens with a tap, still narrow."""
    user = UserFactory(username="fit-menu")
    PostingFactory(user=user, role=Role.LEADER, territory=Territory.objects.get(code="35.03"))
    login(phone_page, user)
    goto(phone_page, "/")
    assert not phone_page.is_visible("header.top nav")
    phone_page.tap("label.menu-button")
    assert phone_page.is_visible("header.top nav a[href='/']")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
