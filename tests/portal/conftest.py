"""Portal fixtures: the case world of the referral tests, and signed-in browsers by role."""

import pytest
from django.test import Client

from agencies.roles import Role

from ..factories import member
from ..referrals.conftest import world  # noqa: F401  (the shared case world)

PASSWORD = "pw-Secret-123"


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
