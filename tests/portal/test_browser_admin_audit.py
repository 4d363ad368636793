"""Agency admins and auditors in the browser, and the lockout after repeated failures."""

import base64

import pytest
from django_otp.oath import totp

from agencies.models import ApiClient
from agencies.roles import Role
from exchange.models import AuditEvent

from ..factories import member
from ..referrals.conftest import new_referral
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret_base32: str) -> str:
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    return f"{totp(key):06d}"


def test_kh_admin_creates_an_api_client_sees_its_secret_once_and_revokes_it(world, visitor):
    admin = member(world.kh_recipient, Role.ADMIN)
    kh = visitor("kh-admin")
    kh.sign_in(admin.username, PASSWORD)
    kh.check("members-km")
    kh.go("/agency/clients/")
    kh.page.fill("#c-name", "case-system")
    kh.page.check("input[name=scopes][value='referrals:read']")
    kh.submit("main form.narrow button[type=submit]")
    secret = kh.page.inner_text("#client-secret").strip()
    assert len(secret) > 20
    kh.check("clients-secret-shown-km")
    kh.go("/agency/clients/")
    assert secret not in kh.page.content()
    client = ApiClient.objects.get(name="case-system")
    kh.submit(f"form[action$='/{client.pk}/revoke/'] button")
    client.refresh_from_db()
    assert client.revoked_at is not None
    kh.check("clients-revoked-km")
    for path, label in (("/agency/webhooks/", "webhooks"), ("/agency/settings/", "settings")):
        kh.go(path)
        kh.check(f"{label}-km")


def test_the_ncct_auditor_signs_in_with_totp_and_sees_no_personal_data(world, visitor, settings):
    settings.PORTAL_TWO_FACTOR_ROLES = ["admin", "auditor"]
    referral = new_referral(world, "accepted")
    auditor = member(world.kh_oversight, Role.AUDITOR)
    ncct = visitor("kh-ncct-auditor")
    ncct.sign_in(auditor.username, PASSWORD)
    # Two-factor is required for auditors here: set it up with the app, keep the backup codes.
    assert "/accounts/two-factor/setup/" in ncct.page.url
    assert ncct.page.locator(".qr svg").count() == 1
    ncct.check("two-factor-setup")
    ncct.page.fill("#id_token", _code(ncct.page.inner_text("code.secret").strip()))
    ncct.submit("main button[type=submit]")
    backup_codes = ncct.page.locator(".codes li").all_inner_texts()
    assert len(backup_codes) == 10
    ncct.check("backup-codes")
    ncct.submit("header form[action='/accounts/logout/'] button")
    # Next time: password, then a code (here a backup code, each good once).
    ncct.sign_in(auditor.username, PASSWORD)
    assert "/accounts/two-factor/" in ncct.page.url
    ncct.check("two-factor-verify")
    ncct.page.fill("#id_token", backup_codes[0])
    ncct.submit("main button[type=submit]")
    assert "/oversight/" in ncct.page.url
    assert "TH-MSDHS" in ncct.main_text()
    ncct.check("sla-report-km")
    ncct.go("/oversight/trail/")
    assert "portal.sign_in" in ncct.main_text()
    ncct.check("audit-trail-km")
    ncct.go(f"/cases/referral/{referral.pk}/")
    text = ncct.page.content()
    assert referral.reference in text
    for personal in ("Sokha", "Chan", "1999", referral.summary or "Sa Kaeo"):
        assert personal not in text
    ncct.check("redacted-case-km")


def test_five_failures_lock_the_account_from_this_address(world, visitor):
    officer = member(world.th_sender, Role.OFFICER)
    th = visitor("th-officer-lockout")
    for _attempt in range(5):
        th.sign_in(officer.username, "not-the-password")
    th.sign_in(officer.username, PASSWORD)
    assert "/accounts/login/" in th.page.url
    th.check("locked-out")
    th.go("/cases/")
    assert "/accounts/login/" in th.page.url
    locked = AuditEvent.objects.filter(action="portal.sign_in.locked_out", actor=officer)
    assert locked.exists()
    failures = AuditEvent.objects.filter(action="portal.sign_in", actor=officer, outcome="denied")
    assert failures.count() >= 5
