"""Shared fixtures: agencies, people, partner clients with real bearer tokens."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from agencies.roles import Role

from .factories import AgencyFactory, api_client_with_token, member


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def kh_agency(db):
    return AgencyFactory(code="KH-MOSVY", country="KH", kind="social_welfare", language="km")


@pytest.fixture
def th_agency(db):
    return AgencyFactory(code="TH-MSDHS", country="TH", kind="social_welfare", language="th")


@pytest.fixture
def as_member():
    """A session-authenticated API client for a new person of ``agency`` with ``role``."""

    def make(agency, role=Role.OFFICER):
        client = APIClient()
        user = member(agency, role)
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def as_partner():
    """An API client authenticated with a bearer token of a partner system of ``agency``."""

    def make(agency, role=Role.OFFICER, scopes=None, **headers):
        api_client, raw = api_client_with_token(agency, role, scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)
        client.api_client = api_client
        return client

    return make


@pytest.fixture
def kh_admin_browser(kh_agency):
    """The admin site, signed in as an admin of KH-MOSVY."""
    browser = Client()
    browser.force_login(member(kh_agency, Role.ADMIN, username="kh-boss"))
    return browser
