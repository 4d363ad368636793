"""The operators' admin pages for webhook endpoints and deliveries."""

from django.contrib import admin, messages

from agencies.admin import ServiceWrittenAdmin
from agencies.authentication import caller_of
from protocol.problems import Problem

from . import services
from .models import Delivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceWrittenAdmin):
    """Endpoints are registered through the API, where their secret is shown once."""

    list_display = ["url", "agency", "is_active", "disabled_reason", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = [
        "url",
        "agency",
        "description",
        "event_types",
        "is_active",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [f for f in fields if f not in ("description", "is_active")]

    def save_model(self, request, obj, form, change):
        services.webhook_endpoint_update(
            actor=caller_of(request),
            endpoint=obj,
            **{field: form.cleaned_data[field] for field in form.changed_data},
        )


@admin.register(Delivery)
class DeliveryAdmin(ServiceWrittenAdmin):
    list_display = [
        "id",
        "agency",
        "channel",
        "event",
        "state",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "channel"]
    list_select_related = ["agency", "event"]
    fields = [
        "id",
        "agency",
        "channel",
        "endpoint",
        "event",
        "state",
        "attempts",
        "next_attempt_at",
        "retry_until",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["redeliver"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected deliveries again (same webhook-id)")
    def redeliver(self, request, queryset):
        sent = 0
        for delivery in queryset:
            try:
                services.delivery_redeliver(actor=caller_of(request), delivery=delivery)
                sent += 1
            except Problem as problem:
                self.message_user(request, f"{delivery.pk}: {problem.detail}", messages.WARNING)
        self.message_user(request, f"Queued {sent} deliveries again.", messages.SUCCESS)
