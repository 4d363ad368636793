"""Forms that create a referral or a return with its subject, and edit a draft."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import AgencyKind, Country, Urgency
from referrals.models import (
    ConsentStatus,
    ExploitationType,
    ReferralCategory,
    RequestedAction,
    ReturnBasis,
    Sex,
)

GIVEN = (ConsentStatus.GIVEN, ConsentStatus.GUARDIAN_GIVEN)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


CHOOSE = _("Choose…")


def _blank(choices, label=CHOOSE):
    return [("", label), *choices]


class SubjectForm(forms.Form):
    """The person, with consent: its status and the kinds of agencies it covers."""

    given_name = forms.CharField(label=_("Given name"), max_length=120)
    family_name = forms.CharField(label=_("Family name"), max_length=120, required=False)
    name_native = forms.CharField(
        label=_("Name in the person's script"), max_length=200, required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    age_estimate = forms.IntegerField(
        label=_("Estimated age"),
        min_value=0,
        max_value=120,
        required=False,
        help_text=_("If the date of birth is unknown. Under 18 by either means is a child."),
    )
    nationality_claimed = forms.ChoiceField(
        label=_("Nationality claimed"), choices=_blank(Country.choices), required=False
    )
    family_contact_name = forms.CharField(label=_("Family contact"), max_length=200, required=False)
    family_contact_phone = forms.CharField(label=_("Family phone"), max_length=40, required=False)
    home_province = forms.CharField(label=_("Home province"), max_length=120, required=False)
    consent_status = forms.ChoiceField(
        label=_("Consent to share the person's data"), choices=_blank(ConsentStatus.choices)
    )
    consent_scope = forms.MultipleChoiceField(
        label=_("Kinds of agencies the consent covers"),
        choices=AgencyKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        data = super().clean()
        if data.get("consent_status") in GIVEN and not data.get("consent_scope"):
            self.add_error("consent_scope", _("Choose the kinds of agencies the person agreed to."))
        return data

    def subject_payload(self) -> dict:
        data = self.cleaned_data
        subject = {
            name: data[name]
            for name in ("given_name", "family_name", "name_native", "sex")
            if data.get(name) not in (None, "")
        }
        for name in ("birth_date", "age_estimate", "nationality_claimed"):
            if data.get(name) not in (None, ""):
                subject[name] = data[name]
        contact = {"name": data["family_contact_name"], "phone": data["family_contact_phone"]}
        if any(contact.values()):
            subject["family_contact"] = contact
        if data["home_province"]:
            subject["home_address"] = {"province": data["home_province"]}
        subject["consent"] = {"status": data["consent_status"], "scope": data["consent_scope"]}
        return subject


class CaseForm(SubjectForm):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    recipient_agency = forms.ChoiceField(label=_("Send to"))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_agency"].choices = _blank(
            [(agency.code, f"{agency.code} · {agency.name}") for agency in agencies]
        )
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class ReferralForm(CaseForm):
    category = forms.ChoiceField(label=_("Category"), choices=_blank(ReferralCategory.choices))
    exploitation_types = forms.MultipleChoiceField(
        label=_("Exploitation"),
        choices=ExploitationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    requested_actions = forms.MultipleChoiceField(
        label=_("Requested of the recipient"),
        choices=RequestedAction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    identified_on = forms.DateField(label=_("Identified on"), widget=DATE)
    identified_place = forms.CharField(label=_("Identified at"), max_length=200, required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea, required=False)

    CASE_FIELDS = (
        "category",
        "exploitation_types",
        "requested_actions",
        "identified_on",
        "identified_place",
        "summary",
    )
    field_order = ["recipient_agency", "urgency", *CASE_FIELDS]


class ReturnForm(CaseForm):
    basis = forms.ChoiceField(label=_("Basis"), choices=_blank(ReturnBasis.choices))
    proposed_checkpoint = forms.ChoiceField(label=_("Proposed checkpoint"), required=False)
    proposed_date = forms.DateField(label=_("Proposed date"), required=False, widget=DATE)

    field_order = ["recipient_agency", "urgency", "basis", "proposed_checkpoint", "proposed_date"]
    CASE_FIELDS = ("basis", "proposed_checkpoint", "proposed_date")

    def __init__(self, *args, checkpoints=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_checkpoint"].choices = _blank(
            [(point.code, point.name) for point in checkpoints], _("None yet")
        )


def case_payload(form: CaseForm) -> dict:
    """The API body for the write serializer, from a valid form."""
    data = form.cleaned_data
    payload = {
        "recipient_agency": data["recipient_agency"],
        "urgency": data["urgency"],
        "subject": form.subject_payload(),
    }
    for name in form.CASE_FIELDS:
        value = data.get(name)
        if value not in (None, "", []):
            payload[name] = value.isoformat() if hasattr(value, "isoformat") else value
    subject = payload["subject"]
    for name in ("birth_date",):
        if name in subject:
            subject[name] = subject[name].isoformat()
    return payload


def initial_of(case) -> dict:
    """The form's values from a saved draft."""
    subject = case.subject
    initial = {
        "recipient_agency": case.recipient_agency.code,
        "urgency": case.urgency,
        "given_name": subject.given_name,
        "family_name": subject.family_name,
        "name_native": subject.name_native,
        "sex": subject.sex,
        "birth_date": subject.birth_date,
        "age_estimate": subject.age_estimate,
        "nationality_claimed": subject.nationality_claimed,
        "family_contact_name": subject.family_contact.get("name", ""),
        "family_contact_phone": subject.family_contact.get("phone", ""),
        "home_province": subject.home_address.get("province", ""),
        "consent_status": subject.consent_status,
        "consent_scope": subject.consent_scope,
    }
    for name in type_form(case).CASE_FIELDS:
        value = getattr(case, name)
        initial[name] = getattr(value, "code", value)
    return initial


def type_form(case) -> type[CaseForm]:
    from referrals.models import ReferralNotice

    return ReferralForm if isinstance(case, ReferralNotice) else ReturnForm
