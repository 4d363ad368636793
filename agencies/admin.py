"""The operators' admin pages for agencies, agreements, checkpoints, members and API clients."""

from django.contrib import admin, messages

from . import services
from .authentication import caller_of
from .models import Agency, Agreement, ApiClient, Checkpoint, Membership


class NeverDeletedAdmin(admin.ModelAdmin):
    """Rows that cases, deadlines and the audit trail refer to: changed, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agency)
class AgencyAdmin(NeverDeletedAdmin):
    list_display = ["code", "name", "country", "kind", "language", "is_active"]
    list_filter = ["country", "kind", "is_active"]
    search_fields = ["code", "name", "name_local"]

    def get_exclude(self, request, obj=None):
        return ["is_active"] if obj is None else []  # a new agency starts active

    def save_model(self, request, obj, form, change):
        if change:
            services.agency_update(
                actor=caller_of(request),
                agency=obj,
                **{f: form.cleaned_data[f] for f in form.changed_data},
            )
        else:
            created = services.agency_create(actor=caller_of(request), **form.cleaned_data)
            obj.pk, obj.group = created.pk, created.group


@admin.register(Agreement)
class AgreementAdmin(NeverDeletedAdmin):
    """Deadlines may be amended, never removed: open cases and the reminder sweep read them."""

    list_display = ["__str__", "acknowledge_hours_routine", "respond_working_days_routine"]


@admin.register(Checkpoint)
class CheckpointAdmin(NeverDeletedAdmin):
    list_display = ["code", "name", "country_a", "country_b", "kind", "is_active"]
    list_filter = ["kind", "is_active"]


class ServiceWrittenAdmin(NeverDeletedAdmin):
    """An agency's rows that only their services create (secrets shown once, names namespaced)."""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agency")

    def has_add_permission(self, request):
        return False


@admin.register(Membership)
class MembershipAdmin(ServiceWrittenAdmin):
    list_display = ["user", "agency", "role", "is_service_account", "updated_at"]
    list_filter = ["role", "is_service_account"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "agency", "role"]
    readonly_fields = ["user", "agency"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_readonly_fields(self, request, obj=None):
        # An API client's role is fixed (a new client is made instead): shown, not offered.
        if obj is not None and obj.is_service_account:
            return [*self.readonly_fields, "role"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if "role" in form.changed_data:
            services.membership_change_role(
                actor=caller_of(request), membership=obj, role=form.cleaned_data["role"]
            )


@admin.register(ApiClient)
class ApiClientAdmin(ServiceWrittenAdmin):
    list_display = ["name", "agency", "scopes", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    fields = ["name", "agency", "scopes", "created_at", "secret_rotated_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.action(description="Revoke the selected clients (their tokens stop at once)")
    def revoke(self, request, queryset):
        for client in queryset:
            services.api_client_revoke(actor=caller_of(request), client=client)
        self.message_user(request, f"Revoked {queryset.count()} client(s).", messages.SUCCESS)
