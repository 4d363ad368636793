"""Reads with a rule: which cases a caller sees, on which side it acts, what it may do."""

from collections import defaultdict

from django.db.models import BooleanField, Q, QuerySet, Value
from django.utils import timezone

from agencies.authentication import Caller
from agencies.models import AuditScope
from agencies.roles import Role
from agencies.selectors import agency_holds_flag, restrict_to_agency, role_permissions

from .models import (
    CaseMessage,
    ReferralNotice,
    ReferralStatus,
    ReturnRequest,
    ReturnStatus,
    Share,
)
from .workflows import RECIPIENT, REFERRAL_WORKFLOW, RETURN_WORKFLOW, SENDER, Workflow

WORKFLOWS = {ReferralNotice: REFERRAL_WORKFLOW, ReturnRequest: RETURN_WORKFLOW}
DRAFT = "draft"


def _with_relations(model) -> QuerySet:
    related = ["sender_agency", "recipient_agency", "subject"]
    if model is ReturnRequest:
        related += ["proposed_checkpoint", "checkpoint", "referral"]
    return model.objects.select_related(*related)


def is_auditor(caller: Caller) -> bool:
    return caller.role == Role.AUDITOR and not caller.user.is_superuser


def cases_visible_to(model, caller: Caller) -> QuerySet:
    """The cases of ``model`` the caller may read, filtered in SQL.

    Parties and shared agencies see what their agency group holds ``view`` on (guardian's
    direct-FK table); auditors see the sent cases that an agency of their country takes part
    in, or all of them for an international oversight body (their views redact personal
    data); superusers see everything, read-only.
    """
    cases = _with_relations(model)
    if caller.user.is_superuser or is_auditor(caller):
        if is_auditor(caller):
            cases = cases.exclude(status=DRAFT)
            if caller.agency.audit_scope != AuditScope.ALL:
                country = caller.agency.country
                cases = cases.filter(
                    Q(sender_agency__country=country) | Q(recipient_agency__country=country)
                )
        return cases.annotate(
            can_change=Value(False, output_field=BooleanField()),
            can_respond=Value(False, output_field=BooleanField()),
        )
    agency = caller.agency
    return restrict_to_agency(cases, agency=agency, perm="view").annotate(
        can_change=agency_holds_flag(model, agency=agency, perm="change"),
        can_respond=agency_holds_flag(model, agency=agency, perm="respond"),
    )


def referrals_visible_to(caller: Caller) -> QuerySet[ReferralNotice]:
    return cases_visible_to(ReferralNotice, caller)


def returns_visible_to(caller: Caller) -> QuerySet[ReturnRequest]:
    return cases_visible_to(ReturnRequest, caller)


def role_allows(caller: Caller, model, perm: str) -> bool:
    """Whether the caller's role carries the model permission, as its role group does."""
    if caller.user.is_superuser:
        return True
    label = f"referrals.{perm}_{model._meta.model_name}"
    return caller.role is not None and label in role_permissions(caller.role)


def caller_sides(caller: Caller, case) -> set[str]:
    """The sides (sender, recipient) the caller may act as on ``case``.

    Acting needs the role's model permission, the write scope on a token, and the agency's
    object permission (annotated on the case by ``cases_visible_to``).
    """
    if caller.scopes is not None and not caller.has_scope("referrals:write"):
        return set()
    model = type(case)
    sides = set()
    if getattr(case, "can_change", False) and role_allows(caller, model, "change"):
        sides.add(SENDER)
    if getattr(case, "can_respond", False) and role_allows(caller, model, "respond"):
        sides.add(RECIPIENT)
    return sides


def allowed_actions(caller: Caller, case) -> list[str]:
    workflow: Workflow = WORKFLOWS[type(case)]
    return workflow.allowed_actions(case.status, caller_sides(caller, case))


def overdue_filter(model, *, now=None) -> Q:
    """Cases whose running clock has passed its deadline (index-backed partial conditions)."""
    now = now or timezone.now()
    if model is ReferralNotice:
        return Q(status=ReferralStatus.SENT, acknowledge_due_at__lt=now) | Q(
            status__in=[ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED], respond_due_at__lt=now
        )
    return Q(
        status__in=[ReturnStatus.REQUESTED, ReturnStatus.ACKNOWLEDGED],
        verification_due_at__lt=now,
    )


def case_field(case) -> str:
    """The name of the foreign key from messages and shares to this kind of case."""
    return "referral" if isinstance(case, ReferralNotice) else "return_request"


def messages_of(case) -> QuerySet[CaseMessage]:
    return CaseMessage.objects.filter(**{case_field(case): case}).select_related("author_agency")


def shares_of(case, *, active_only: bool = False) -> QuerySet[Share]:
    shares = Share.objects.filter(**{case_field(case): case}).select_related("agency")
    return shares.filter(revoked_at__isnull=True) if active_only else shares


def case_agencies(case) -> list:
    """The agencies an event about ``case`` concerns: the parties and the active shares."""
    return cases_agencies([case])[case.pk]


def cases_agencies(cases: list) -> dict:
    """``case_agencies`` of cases of one kind, by case id, with one query for their shares."""
    sent = [case for case in cases if case.status != DRAFT]
    shared = defaultdict(list)
    if sent:
        field = case_field(sent[0])
        for share in Share.objects.filter(
            **{f"{field}__in": sent}, revoked_at__isnull=True
        ).select_related("agency"):
            shared[getattr(share, f"{field}_id")].append(share.agency)
    return {
        case.pk: [case.sender_agency]
        if case.status == DRAFT
        else [case.sender_agency, case.recipient_agency, *shared[case.pk]]
        for case in cases
    }
