"""What the API is measured against: the same page and the same write, with less around them."""

import functools
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from rest_framework import status
from rest_framework.response import Response

from agencies.models import Agency
from agencies.selectors import agency_holds_flag, restrict_to_agency
from protocol.viewsets import ExchangeAPIView
from referrals import services
from referrals.models import ReferralNotice, ReferralStatus, Subject
from referrals.serializers import ReferralSerializer, ReferralWriteSerializer

CASE_FIELDS = [f.name for f in ReferralNotice._meta.concrete_fields if not f.is_relation]
SUBJECT_FIELDS = [f.name for f in Subject._meta.concrete_fields if f.name != "id"]


@functools.lru_cache(maxsize=64)
def _agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


@require_GET
def referral_page_floor(request):
    """The floor: an agency's first page of referrals from ``.values()`` straight into JSON.

    The same rows, columns and permission subqueries as the API's list, without
    authentication, filters, pagination cursors or serializers.
    """
    agency = _agency(request.GET["agency"])
    limit = int(request.GET.get("limit", 50))
    visible = restrict_to_agency(ReferralNotice.objects.all(), agency=agency, perm="view")
    page = (
        visible.annotate(
            can_change=agency_holds_flag(ReferralNotice, agency=agency, perm="change"),
            can_respond=agency_holds_flag(ReferralNotice, agency=agency, perm="respond"),
            sender=F("sender_agency__code"),
            recipient=F("recipient_agency__code"),
            **{f"subject_{name}": F(f"subject__{name}") for name in SUBJECT_FIELDS},
        )
        .order_by("-created_at", "-id")
        .values(
            *CASE_FIELDS,
            "sender",
            "recipient",
            "can_change",
            "can_respond",
            *[f"subject_{name}" for name in SUBJECT_FIELDS],
        )[:limit]
    )
    return JsonResponse({"results": list(page)}, encoder=DjangoJSONEncoder)


class _WriteView(ExchangeAPIView):
    """A referral created and sent in one request, authenticated and validated as the API does."""

    def validated(self, request) -> dict:
        serializer = ReferralWriteSerializer(data=request.data, context={"caller": self.caller})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def respond(self, case) -> Response:
        data = ReferralSerializer(case, context={"caller": self.caller}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ServicesWriteView(_WriteView):
    """Through the services: permission rows, reference, deadlines, events, audit.

    Created and sent in one service call and transaction, as the portal's "save and send" does;
    the public API's two requests are timed apart (``WriteApi``).
    """

    def post(self, request):
        fields = self.validated(request)
        return self.respond(services.referral_create(actor=self.caller, send=True, **fields))


class PlainInsertView(_WriteView):
    """The same case as plain inserts of its subject and its row, already sent."""

    def post(self, request):
        fields = self.validated(request)
        subject = Subject(**fields.pop("subject"))
        now = timezone.now()
        with transaction.atomic():
            subject.save()
            case = ReferralNotice.objects.create(
                sender_agency=self.caller.agency,
                subject=subject,
                created_by=self.caller.user,
                status=ReferralStatus.SENT,
                reference=f"PLAIN-{uuid.uuid4().hex}",
                sent_at=now,
                **fields,
            )
        return self.respond(case)
