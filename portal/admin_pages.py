"""Agency admins: members, API clients, webhooks and the agency's notification settings."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies import services as agency_services
from agencies.models import Language
from agencies.roles import Role
from agencies.selectors import api_clients_of, members_of
from agencies.serializers import ApiClientCreateSerializer, MemberCreateSerializer
from exchange import services as exchange_services
from exchange.audit import audit_record
from exchange.selectors import deliveries_of, webhook_endpoints_of

from .access import not_found, portal_page
from .errors import REFUSALS, refusal_of
from .labels import refusal_sentences

DELIVERIES_SHOWN = 20


def _audit_list(request, object_type: str, objects) -> None:
    audit_record(
        actor=request.caller,
        action=f"{object_type}.list",
        object_type=object_type,
        detail={"ids": [str(obj.pk) for obj in objects]},
    )


def _refusal_messages(request, exc) -> int:
    status, errors = refusal_of(exc)
    for sentence in refusal_sentences(errors):
        messages.error(request, sentence)
    return status


@portal_page(Role.ADMIN, object_type="member")
def members(request):
    """The agency's people: add one with a role; change a role; deactivate."""
    status = 200
    if request.method == "POST":
        data = {
            key: request.POST.get(key, "")
            for key in ("username", "email", "first_name", "last_name", "role")
        }
        if request.POST.get("password"):
            data["password"] = request.POST["password"]
        try:
            payload = MemberCreateSerializer(data=data)
            payload.is_valid(raise_exception=True)
            agency_services.member_create(
                actor=request.caller, agency=request.caller.agency, **payload.validated_data
            )
        except REFUSALS as exc:
            status = _refusal_messages(request, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("portal:members")
    people = list(members_of(request.caller.agency).filter(is_service_account=False))
    _audit_list(request, "member", people)
    return render(
        request,
        "portal/agency/members.html",
        {"people": people, "roles": Role.choices},
        status=status,
    )


@require_POST
@portal_page(Role.ADMIN, object_type="member")
def member_change(request, membership_id):
    membership = members_of(request.caller.agency).filter(pk=membership_id).first()
    if membership is None:
        return not_found(request)
    try:
        if request.POST.get("verb") == "deactivate":
            agency_services.membership_deactivate(actor=request.caller, membership=membership)
        else:
            agency_services.membership_change_role(
                actor=request.caller, membership=membership, role=request.POST.get("role", "")
            )
    except REFUSALS as exc:
        _refusal_messages(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("portal:members")


@portal_page(Role.ADMIN, object_type="client")
def clients(request):
    """Partner systems: create (the secret is shown once), rotate, revoke."""
    shown = None
    status = 200
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "role": request.POST.get("role", ""),
            "scopes": request.POST.getlist("scopes"),
        }
        try:
            payload = ApiClientCreateSerializer(data=data)
            payload.is_valid(raise_exception=True)
            client, secret = agency_services.api_client_create(
                actor=request.caller, agency=request.caller.agency, **payload.validated_data
            )
        except REFUSALS as exc:
            status = _refusal_messages(request, exc)
        else:
            shown = {"client": client, "secret": secret}
    return _clients_page(request, shown, status)


def _clients_page(request, shown, status=200):
    listed = list(api_clients_of(request.caller.agency).select_related("application"))
    _audit_list(request, "client", listed)
    return render(
        request,
        "portal/agency/clients.html",
        {
            "clients": listed,
            "shown": shown,
            "roles": Role.choices,
            "scopes": settings.API_SCOPES,
        },
        status=status,
    )


@require_POST
@portal_page(Role.ADMIN, object_type="client")
def client_change(request, client_id, verb: str):
    client = api_clients_of(request.caller.agency).filter(pk=client_id).first()
    if client is None or verb not in ("rotate", "revoke"):
        return not_found(request)
    try:
        if verb == "rotate":
            client, secret = agency_services.api_client_rotate_secret(
                actor=request.caller, client=client
            )
            return _clients_page(request, {"client": client, "secret": secret})
        agency_services.api_client_revoke(actor=request.caller, client=client)
    except REFUSALS as exc:
        _refusal_messages(request, exc)
    else:
        messages.success(request, _("The client is revoked: its tokens no longer work."))
    return redirect("portal:clients")


@portal_page(Role.ADMIN, object_type="webhook")
def webhooks(request):
    """Webhook endpoints: create (the secret is shown once)."""
    shown = None
    status = 200
    if request.method == "POST":
        types = [t.strip() for t in request.POST.get("event_types", "").split(",") if t.strip()]
        try:
            endpoint, secret = exchange_services.webhook_endpoint_create(
                actor=request.caller,
                agency=request.caller.agency,
                url=request.POST.get("url", ""),
                event_types=types,
                description=request.POST.get("description", ""),
            )
        except REFUSALS as exc:
            status = _refusal_messages(request, exc)
        else:
            shown = {"endpoint": endpoint, "secret": secret}
    endpoints = list(webhook_endpoints_of(request.caller.agency))
    _audit_list(request, "webhook", endpoints)
    return render(
        request,
        "portal/agency/webhooks.html",
        {"endpoints": endpoints, "shown": shown},
        status=status,
    )


@portal_page(Role.ADMIN, object_type="webhook")
def webhook(request, endpoint_id):
    """One endpoint: its deliveries; send a test; send a delivery again."""
    endpoint = webhook_endpoints_of(request.caller.agency).filter(pk=endpoint_id).first()
    if endpoint is None:
        return not_found(request)
    if request.method == "POST":
        try:
            if request.POST.get("verb") == "test":
                exchange_services.webhook_endpoint_test(actor=request.caller, endpoint=endpoint)
                messages.success(request, _("A test message is on its way."))
            else:
                delivery = deliveries_of(request.caller.agency).filter(
                    endpoint=endpoint, pk=request.POST.get("delivery", "")
                )
                found = delivery.first()
                if found is None:
                    return not_found(request)
                exchange_services.delivery_redeliver(actor=request.caller, delivery=found)
                messages.success(request, _("The delivery is sent again."))
        except REFUSALS as exc:
            _refusal_messages(request, exc)
        return redirect("portal:webhook", endpoint_id=endpoint.pk)
    deliveries = list(
        deliveries_of(request.caller.agency)
        .filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at")[:DELIVERIES_SHOWN]
    )
    _audit_list(request, "delivery", deliveries)
    return render(
        request, "portal/agency/webhook.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@portal_page(Role.ADMIN, object_type="agency")
def agency_settings(request):
    """Where the agency's notifications go, and in which language."""
    agency = request.caller.agency
    if request.method == "POST":
        try:
            agency_services.agency_update(
                actor=request.caller,
                agency=agency,
                notification_email=request.POST.get("notification_email", "").strip(),
                language=request.POST.get("language", agency.language),
            )
        except REFUSALS as exc:
            _refusal_messages(request, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:agency-settings")
    return render(
        request, "portal/agency/settings.html", {"languages": Language.choices, "agency": agency}
    )
