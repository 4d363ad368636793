"""Portal fixtures: the case world, signed-in sessions by role, and a Chromium per scenario."""

import os

import pytest
from django.test import Client

from agencies.roles import Role

from ..factories import member
from ..referrals.conftest import world  # noqa: F401  (the shared case world)
from .browser import AXE_RESULTS, CHROMIUM, PAGE_WEIGHT_BUDGET, PAGE_WEIGHTS, SCREENSHOTS, Visitor

PASSWORD = "pw-Secret-123"
# Playwright's sync API runs an event loop in this thread; the ORM calls of a test stay sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def signed_in(agency, role=Role.OFFICER) -> Client:
    """A browser session of a new member of ``agency`` with ``role``, signed in on the page."""
    user = member(agency, role)
    browser = Client()
    page = browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert page.status_code == 302, page.content.decode()[:500]
    browser.user = user
    return browser


@pytest.fixture
def th_officer(world):  # noqa: F811
    return signed_in(world.th_sender)


@pytest.fixture
def kh_officer(world):  # noqa: F811
    return signed_in(world.kh_recipient)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        "timeout": 30_000,
    }


@pytest.fixture
def visitor(live_server, browser):
    """Open a fresh browser context per person: ``visitor("th-officer", width=1280)``.

    Every page a visitor loaded after their first stays within the page-weight budget.
    """
    contexts, visitors = [], []

    def open_as(name: str, *, width: int = 1280, height: int = 900) -> Visitor:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        visitors.append(Visitor(page=context.new_page(), base_url=live_server.url, name=name))
        return visitors[-1]

    yield open_as
    for person in visitors:
        person.scale.close()
    for context in contexts:
        context.close()
    heavy = [page for person in visitors for page in person.scale.over_budget()]
    assert not heavy, f"pages over {PAGE_WEIGHT_BUDGET} bytes: {heavy}"


def pytest_terminal_summary(terminalreporter):
    if not AXE_RESULTS:
        return
    _report_page_weights(terminalreporter)
    terminalreporter.section("portal pages: axe-core and screenshots")
    counts: dict[str, int] = {}
    for entry in AXE_RESULTS:
        for impact, ids in entry["violations"].items():
            counts[impact] = counts.get(impact, 0) + len(ids)
    terminalreporter.write_line(
        f"{len(AXE_RESULTS)} pages checked; violations by impact: {counts or 'none'}"
    )
    terminalreporter.write_line(f"screenshots: {SCREENSHOTS}")
    for entry in AXE_RESULTS:
        found = entry["violations"] or "no violation"
        terminalreporter.write_line(f"  {entry['page']}: {found}")


def _report_page_weights(terminalreporter) -> None:
    terminalreporter.section("portal pages: bytes transferred (DevTools encodedDataLength)")
    warm = [page for page in PAGE_WEIGHTS if not page["cold"]]
    for page in PAGE_WEIGHTS:
        path = "/" + page["url"].split("/", 3)[-1]
        named = f"{page['page']} {path}" if "page" in page else f"{page['visitor']} {path}"
        cold = " (first visit, cold cache)" if page["cold"] else ""
        terminalreporter.write_line(f"  {page['bytes'] / 1024:7.1f} KB  {named}{cold}")
    if warm:
        largest = max(warm, key=lambda page: page["bytes"])
        terminalreporter.write_line(
            f"{len(warm)} pages with a warm cache; the largest: {largest['bytes'] / 1024:.1f} KB "
            f"({largest['visitor']} {largest['url']}); budget {PAGE_WEIGHT_BUDGET // 1024} KB"
        )
