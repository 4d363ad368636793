"""Case endpoints for the life of personal data: consent changes and the person's record."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from exchange.etags import IF_MATCH_OPTIONAL_PARAMETER
from exchange.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

from .models import ConsentChange
from .selectors import is_auditor
from .serializers_life import ConsentChangeSerializer
from .services_consent import case_consent_change


class CaseLifeMixin:
    """Consent history and changes on a case (mixed into the case view sets)."""

    @extend_schema(responses=ConsentChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="consent", url_name="consent")
    def consent(self, request, pk=None):
        case = self.get_object()
        if is_auditor(self.caller):
            raise PermissionDenied(_("Auditors do not see the subject's consent."))
        self.audit_read(case, action="consent.read")
        changes = ConsentChange.objects.filter(subject_id=case.subject_id).select_related("agency")
        page = self.paginate_queryset(changes.order_by("-created_at", "-id"))
        return self.get_paginated_response(ConsentChangeSerializer(page, many=True).data)

    @extend_schema(
        request=ConsentChangeSerializer,
        responses={201: ConsentChangeSerializer},
        parameters=[IF_MATCH_OPTIONAL_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
    )
    @consent.mapping.post
    @idempotent
    def post_consent(self, request, pk=None):
        case = self.get_object()
        payload = ConsentChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        change = case_consent_change(
            case=case,
            actor=self.caller,
            if_match=request.headers.get("If-Match"),
            **payload.validated_data,
        )
        change.agency = self.caller.agency
        return Response(ConsentChangeSerializer(change).data, status=status.HTTP_201_CREATED)
