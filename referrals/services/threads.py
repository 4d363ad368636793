"""Posting to a case's message thread."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.authentication import Caller

from ..access import caller_sides, role_allows
from ..models import (
    CaseMessage,
)
from .common import check_open, locked_case, record_change, required_text


@transaction.atomic
def case_message_post(*, case, actor: Caller, body: str) -> CaseMessage:
    """Post to a case's thread: the sending or receiving agency, while the case is open."""
    model = type(case)
    case = locked_case(model, case.pk, actor)
    if not caller_sides(actor, case) or not role_allows(actor, model, "message"):
        raise PermissionDenied(_("Only the sending and receiving agencies post messages."))
    check_open(case, _("messages"))
    message = CaseMessage.objects.create(
        **{case.case_field: case},
        author_agency=actor.agency,
        author=actor.user,
        author_on_behalf_of=actor.on_behalf_of or "",
        body=required_text(body, "body"),
    )
    record_change(actor, case, "message.posted")
    return message
