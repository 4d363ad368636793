"""Portal fixtures: the case world, signed-in sessions by role, and a Chromium per scenario."""

import os

import pytest
from django.test import Client

from agencies.roles import Role

from ..factories import member
from ..referrals.conftest import world  # noqa: F401  (the shared case world)
from .browser import AXE_RESULTS, CHROMIUM, SCREENSHOTS, Visitor

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
    """Open a fresh browser context per person: ``visitor("th-officer", width=1280)``."""
    contexts = []

    def open_as(name: str, *, width: int = 1280, height: int = 900) -> Visitor:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Visitor(page=context.new_page(), base_url=live_server.url, name=name)

    yield open_as
    for context in contexts:
        context.close()


def pytest_terminal_summary(terminalreporter):
    if not AXE_RESULTS:
        return
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
