"""Agency admins in the portal: their own agency's members, clients and webhooks, no other's."""

import pytest

from agencies.models import ApiClient, Membership
from agencies.roles import Role
from exchange import services as exchange_services
from exchange.models import Delivery

from ..exchange.conftest import emit_referral_event
from ..factories import api_client_with_token, member
from .conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def kh_admin_portal(world):
    return signed_in(world.kh_recipient, Role.ADMIN)


def test_an_agency_admin_sees_only_own_members(world, kh_admin_portal):
    member(world.kh_recipient, Role.OFFICER, username="kh-visible")
    member(world.th_sender, Role.OFFICER, username="th-hidden")
    page = kh_admin_portal.get("/agency/members/")
    assert page.status_code == 200
    assert b"kh-visible" in page.content
    assert b"th-hidden" not in page.content


def test_an_agency_admin_cannot_change_another_agencys_member(world, kh_admin_portal):
    foreign = Membership.objects.get(user=member(world.th_sender, Role.OFFICER))
    changed = kh_admin_portal.post(f"/agency/members/{foreign.pk}/", {"role": "admin"})
    deactivated = kh_admin_portal.post(f"/agency/members/{foreign.pk}/", {"verb": "deactivate"})
    assert changed.status_code == deactivated.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.role, foreign.user.is_active) == (Role.OFFICER, True)


def test_an_agency_admin_changes_own_members_role(world, kh_admin_portal):
    target = Membership.objects.get(user=member(world.kh_recipient, Role.OFFICER))
    response = kh_admin_portal.post(f"/agency/members/{target.pk}/", {"role": "viewer"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_an_agency_admin_sees_and_revokes_only_own_clients(world, kh_admin_portal):
    own, _ = api_client_with_token(world.kh_recipient, Role.VIEWER)
    foreign, _ = api_client_with_token(world.th_sender, Role.VIEWER)
    page = kh_admin_portal.get("/agency/clients/")
    assert own.name.encode() in page.content
    assert foreign.name.encode() not in page.content
    for verb in ("revoke", "rotate"):
        assert kh_admin_portal.post(f"/agency/clients/{foreign.pk}/{verb}/").status_code == 404
    foreign = ApiClient.objects.get(pk=foreign.pk)
    assert (foreign.revoked_at, foreign.secret_rotated_at) == (None, None)


def test_an_agency_admin_sees_only_own_webhooks_and_deliveries(world, kh_admin_portal):
    own, _ = exchange_services.webhook_endpoint_create(
        agency=world.kh_recipient, url="https://93.184.215.14/kh-visible"
    )
    foreign, _ = exchange_services.webhook_endpoint_create(
        agency=world.th_sender, url="https://93.184.215.14/th-hidden"
    )
    page = kh_admin_portal.get("/agency/webhooks/")
    assert b"kh-visible" in page.content and b"th-hidden" not in page.content
    assert kh_admin_portal.get(f"/agency/webhooks/{foreign.pk}/").status_code == 404
    emit_referral_event("referral.sent", sender=world.kh_recipient, recipient=world.th_sender)
    foreign_delivery = Delivery.objects.get(agency=world.th_sender, endpoint=foreign)
    Delivery.objects.filter(pk=foreign_delivery.pk).update(state="dead", next_attempt_at=None)
    through_own = kh_admin_portal.post(
        f"/agency/webhooks/{own.pk}/", {"delivery": str(foreign_delivery.pk)}
    )
    through_foreign = kh_admin_portal.post(
        f"/agency/webhooks/{foreign.pk}/", {"delivery": str(foreign_delivery.pk)}
    )
    assert through_own.status_code == through_foreign.status_code == 404
    assert Delivery.objects.get(pk=foreign_delivery.pk).state == "dead"


def test_an_agency_admin_redelivers_own_delivery(world, kh_admin_portal):
    own, _ = exchange_services.webhook_endpoint_create(
        agency=world.kh_recipient, url="https://93.184.215.14/kh-visible"
    )
    emit_referral_event("referral.sent", sender=world.th_sender, recipient=world.kh_recipient)
    delivery = Delivery.objects.get(agency=world.kh_recipient, endpoint=own)
    Delivery.objects.filter(pk=delivery.pk).update(state="dead", next_attempt_at=None)
    response = kh_admin_portal.post(f"/agency/webhooks/{own.pk}/", {"delivery": str(delivery.pk)})
    assert response.status_code == 302
    assert Delivery.objects.get(pk=delivery.pk).state == "pending"
