"""A person's language lives on their account: chosen once, it follows them to every device."""

import pytest
from django.core import mail
from django.test import Client

from agencies.models import Membership
from agencies.roles import Role
from exchange.models import AuditEvent

from ..factories import member
from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    browser = Client()
    page = browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert page.status_code == 302
    return browser


def _page_language(browser) -> str:
    html = browser.get("/cases/").content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_without_a_choice_pages_are_in_the_agencys_language(world):
    assert _page_language(_signed_in(member(world.th_sender))) == "th"


def test_a_language_chosen_on_one_device_is_used_on_another(world):
    user = member(world.th_sender)
    laptop = _signed_in(user)
    switched = laptop.post("/accounts/language/", {"language": "km", "next": "/cases/"})
    assert switched.status_code == 302 and switched["Location"] == "/cases/"
    assert Membership.objects.get(user=user).language == "km"
    phone = _signed_in(user)  # a fresh browser: no language cookie
    assert "django_language" not in phone.cookies
    assert _page_language(phone) == "km"
    row = AuditEvent.objects.get(action="member.language_chosen")
    assert (row.actor, row.detail) == (user, {"language": "km"})


def test_the_account_choice_outranks_an_old_cookie_of_the_browser(world):
    user = member(world.kh_recipient)
    Membership.objects.filter(user=user).update(language="vi")
    browser = _signed_in(user)
    browser.cookies["django_language"] = "en"
    assert _page_language(browser) == "vi"


def test_an_anonymous_choice_stays_with_the_browser(world):
    browser = Client()
    browser.post("/accounts/language/", {"language": "vi", "next": "/accounts/login/"})
    assert browser.cookies["django_language"].value == "vi"
    assert '<html lang="vi">' in browser.get("/accounts/login/").content.decode()
    assert not Membership.objects.exclude(language="").exists()


def test_an_unknown_language_changes_nothing(world):
    user = member(world.th_sender)
    browser = _signed_in(user)
    browser.post("/accounts/language/", {"language": "xx", "next": "/cases/"})
    assert Membership.objects.get(user=user).language == ""
    assert _page_language(browser) == "th"


def test_the_password_reset_email_follows_the_accounts_language(world, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    user = member(world.kh_recipient, Role.OFFICER)
    Membership.objects.filter(user=user).update(language="th")
    Client().post("/accounts/password-reset/", {"email": user.email})
    (message,) = mail.outbox
    assert any("\u0e00" <= char <= "\u0e7f" for char in message.subject + message.body)
