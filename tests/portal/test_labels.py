"""People read labels, not codes: the timeline's events, consent scopes, refused fields."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from agencies.roles import Role
from exchange.events import EVENT_TYPES
from portal.labels import event_label
from referrals import services

from ..referrals.conftest import caller, draft_return, new_referral, subject_data
from .conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["km", "th", "vi"])
def test_every_event_type_has_a_label_in_each_language(language):
    for event_type in EVENT_TYPES:
        with translation.override("en"):
            english = event_label(event_type)
        with translation.override(language):
            label = event_label(event_type)
        assert label and label != event_type
        assert label != english, (language, event_type)


def test_the_timeline_names_events_in_the_persons_language(world, kh_officer):
    case = new_referral(world, "sent")
    page = kh_officer.get(f"/cases/referral/{case.pk}/").content.decode()
    with translation.override("km"):
        sent = str(EVENT_TYPES["referral.sent"])
    assert sent in page
    assert "referral.sent" not in page and "referral.created" not in page
    with translation.override("km"):
        assert gettext("Social welfare") in page  # the consent's scope, by kind of agency
    assert "social_welfare" not in page


def acknowledged_childs_return(world):
    """A return of a 15-year-old, sent by TH and acknowledged by KH: next comes verification."""
    sender = caller(world.th_sender)
    child = subject_data(birth_date=None, age_estimate=15)
    return_request = draft_return(world, sender=sender, subject=child)
    services.return_send(return_request=return_request, actor=sender)
    services.return_acknowledge(return_request=return_request, actor=caller(world.kh_recipient))
    return return_request


def test_a_refused_verification_names_the_field_by_its_label(world, kh_officer):
    return_request = acknowledged_childs_return(world)
    page = kh_officer.post(
        f"/cases/return/{return_request.pk}/act/verify/",
        {"identity_confirmed": "on", "nationality_confirmed": "on"},
    )
    assert page.status_code == 400
    [alert] = re.findall(r'<div class="messages" role="alert">.*?</div>', page.content.decode())
    with translation.override("km"):
        assert f"{gettext('Family traced')}: " in alert
    assert "family_traced" not in alert


def test_a_refused_member_names_the_field_by_its_label_in_thai(world):
    admin = signed_in(world.th_sender, Role.ADMIN)
    form = {"username": "somchai", "role": "officer", "password": "pw-Secret-123!x"}
    assert admin.post("/agency/members/", form).status_code == 302
    page = admin.post("/agency/members/", form)
    assert page.status_code == 400
    text = page.content.decode()
    with translation.override("th"):
        assert f"{gettext('Username')}: {gettext('This username is taken.')}" in text
    assert "username:" not in text


def test_a_refused_form_keeps_what_was_entered(world, kh_officer):
    return_request = acknowledged_childs_return(world)
    entered = {"identity_confirmed": "on", "nationality_confirmed": "on", "notes": "Seen <b>"}
    page = kh_officer.post(f"/cases/return/{return_request.pk}/act/verify/", entered)
    assert page.status_code == 400
    html = page.content.decode()
    assert 'name="identity_confirmed" checked>' in html
    assert 'name="nationality_confirmed" checked>' in html
    assert 'name="family_traced">' in html  # not ticked: the reason it was refused
    assert '<textarea id="verify-notes" name="notes">Seen &lt;b&gt;</textarea>' in html
    plain = kh_officer.get(f"/cases/return/{return_request.pk}/").content.decode()
    assert "checked>" not in plain and "Seen" not in plain
