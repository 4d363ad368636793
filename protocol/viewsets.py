"""The base of every API view: one permission path (membership, role, scope) and its audit."""

from collections.abc import Iterable

from rest_framework import mixins, viewsets
from rest_framework.views import APIView

from .hooks import audit_recorder, caller_of, denial_recorder

DENIED_STATUSES = frozenset({401, 403, 404})
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class CallerAccess:
    """The settings' permission classes decide (membership, ``allowed_roles``, token scopes).

    Every refused request (401, 403, 404) is recorded in the audit trail, unless the view sets
    ``audit_denials`` off (the public directory). ``audit_object_type`` names the view's objects
    in audit rows; ``audit_read`` and ``audit_list`` record what a caller was shown.
    """

    allowed_roles = None
    read_scope = "referrals:read"
    write_scope = "referrals:write"
    audit_object_type = ""
    audit_denials = True

    @property
    def caller(self):
        return caller_of(self.request)

    @property
    def is_schema_request(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def audit_agencies(self, obj) -> Iterable:
        """Agencies besides the caller's that an object concerns; case views name its parties."""
        return ()

    def denied_agencies(self, object_id) -> Iterable:
        """Agencies an existing object named by a refused request concerns (their auditors see
        the refusal); case views name the case's parties."""
        return ()

    def audit_read(self, obj, action: str = "read") -> None:
        """Record that the caller was shown one object (or a part of it, such as its thread)."""
        audit_recorder()(
            actor=self.caller,
            action=f"{self.audit_object_type}.{action}",
            object_type=self.audit_object_type,
            object_id=obj.pk,
            reference=getattr(obj, "reference", "") or "",
            agencies=self.audit_agencies(obj),
        )

    def audit_list(self, objects) -> None:
        """Record one row for a list response, naming every object it returned."""
        audit_recorder()(
            actor=self.caller,
            action=f"{self.audit_object_type}.list",
            object_type=self.audit_object_type,
            agencies=[agency for obj in objects for agency in self.audit_agencies(obj)],
            detail={"ids": [str(obj.pk) for obj in objects]},
        )

    def check_permissions(self, request):
        # The caller's rate counts refused requests too: a flood of 403s is throttled like any.
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        """Already done, before the permissions (see ``check_permissions``)."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if self.audit_denials and response.status_code in DENIED_STATUSES:
            lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", "pk")
            object_id = self.kwargs.get(lookup)
            denial_recorder()(
                self.request,
                status_code=response.status_code,
                object_type=self.audit_object_type,
                object_id=object_id,
                agencies=self.denied_agencies(object_id) if object_id else (),
            )
        return response


class AuditedListModelMixin(mixins.ListModelMixin):
    """A paginated list that records one audit row naming the objects on the page it returns."""

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self.audit_list(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ExchangeViewSet(CallerAccess, viewsets.GenericViewSet):
    pass


class ExchangeAPIView(CallerAccess, APIView):
    pass
