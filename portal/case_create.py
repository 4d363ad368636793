"""Creating a referral or a return (and sending it), and editing a draft, through services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.roles import Role
from agencies.selectors import agencies_directory, checkpoints_active
from protocol.etags import etag_of
from referrals import services
from referrals.serializers import ReferralWriteSerializer, ReturnWriteSerializer

from .access import not_found, portal_page
from .case_forms import ReferralForm, ReturnForm, case_payload, initial_of, type_form
from .cases import visible_case
from .errors import REFUSALS, refusal_of
from .labels import refusal_sentences
from .once import submit_once

WRITERS = {ReferralForm: ReferralWriteSerializer, ReturnForm: ReturnWriteSerializer}


def _form_kwargs(caller, form_class) -> dict:
    agencies = agencies_directory().exclude(country=caller.agency.country)
    kwargs = {"agencies": list(agencies)}
    if form_class is ReturnForm:
        kwargs["checkpoints"] = [
            point
            for point in checkpoints_active()
            if caller.agency.country in (point.country_a, point.country_b)
        ]
    return kwargs


def _validated(caller, form, *, partial=False) -> dict:
    writer = WRITERS[type(form)](
        data=case_payload(form), partial=partial, context={"caller": caller}
    )
    writer.is_valid(raise_exception=True)
    return dict(writer.validated_data)


def _add_refusal(form, exc) -> int:
    status, errors = refusal_of(exc)
    for field, problems in errors.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
        else:
            for sentence in refusal_sentences({field: problems}):
                form.add_error(None, sentence)
    return status


def _create(request, form_class, kind: str):
    caller = request.caller
    form = form_class(request.POST or None, **_form_kwargs(caller, form_class))
    status = 200
    if request.method == "POST" and form.is_valid():
        create = services.referral_create if kind == "referral" else services.return_create
        send = request.POST.get("then") == "send"

        def make() -> str:
            case = create(actor=caller, send=send, **_validated(caller, form))
            return reverse("portal:case", kwargs={"kind": kind, "case_id": case.pk})

        try:
            location = submit_once(caller.user, form.cleaned_data["idempotency_key"], make)
        except REFUSALS as exc:
            status = _add_refusal(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(location)
    elif request.method == "POST":
        status = 400
    title = _("New referral notice") if kind == "referral" else _("New return request")
    return render(
        request,
        "portal/cases/form.html",
        {"form": form, "title": title, "kind": kind},
        status=status,
    )


@portal_page(Role.OFFICER, object_type="referral")
def new_referral(request):
    return _create(request, ReferralForm, "referral")


@portal_page(Role.OFFICER, object_type="return")
def new_return(request):
    return _create(request, ReturnForm, "return")


@portal_page(Role.OFFICER, object_type="case")
def edit_draft(request, kind: str, case_id):
    """Edit a draft against the version read; a concurrent change is explained, not overwritten."""
    caller = request.caller
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    form_class = type_form(case)
    kwargs = _form_kwargs(caller, form_class)
    etag = request.POST.get("etag") or etag_of(case)
    form = form_class(request.POST or None, initial=initial_of(case), **kwargs)
    status, conflict = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            data = _validated(caller, form)
            services.case_update(case=case, actor=caller, if_match=etag, **data)
        except REFUSALS as exc:
            status = _add_refusal(form, exc)
            if status == 412:
                # Show what is saved now, with the new version; the person decides again.
                case = visible_case(request, kind, case_id)
                form = form_class(initial=initial_of(case), **kwargs)
                conflict = refusal_of(exc)[1][""][0]
                etag = etag_of(case)
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:case", kind=kind, case_id=case_id)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/cases/form.html",
        {
            "form": form,
            "title": _("Edit the draft"),
            "kind": kind,
            "case": case,
            "etag": etag,
            "editing": True,
            "conflict": conflict,
        },
        status=status,
    )
