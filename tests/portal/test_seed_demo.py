"""The demo: a login per role per agency, sign-in help, and Vietnam's 2025 restructuring."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agencies import services
from agencies.demo import AGENCIES, DEMO_ROLES, demo_username
from agencies.models import Agency

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_an_older_demo_database_gets_vn_moh_in_place_of_vn_molisa(settings):
    settings.PORTAL_TWO_FACTOR_ROLES = []
    services.role_groups_sync()
    molisa = services.agency_create(
        actor=None, code="VN-MOLISA", name="MOLISA", country="VN", kind="social_welfare"
    )
    services.member_create(
        actor=None,
        agency=molisa,
        username="vn-molisa-officer",
        role="officer",
        password="x-Y-123456",
    )
    printed = _seed()
    moh = Agency.objects.get(code="VN-MOH")
    assert moh.pk == molisa.pk and moh.group.name == "agency:VN-MOH"
    assert not Agency.objects.filter(code="VN-MOLISA").exists()
    users = get_user_model().objects
    assert users.filter(username="vn-moh-officer", membership__agency=moh).exists()
    assert not users.filter(username__startswith="vn-molisa").exists()
    assert "/accounts/login/" in printed and "Two-factor sign-in is optional" in printed
    assert Agency.objects.count() == len(AGENCIES)
    _seed()
    assert Agency.objects.count() == len(AGENCIES)
    for spec in AGENCIES:
        for role in DEMO_ROLES:
            assert users.filter(username=demo_username(spec["code"], role)).count() == 1
