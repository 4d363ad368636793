"""Every write about agencies, members, API clients, role groups and object permissions.

Each change of who may do what is recorded in the audit trail in the same transaction.
"""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.utils import get_group_obj_perms_model
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from protocol.hooks import audit_recorder

from .authentication import Caller
from .models import Agency, ApiClient, AuditScope, Language, Membership
from .roles import Role
from .selectors import permission_id, role_permissions

User = get_user_model()
USERNAME_MAX_LENGTH = 150

# The scopes an API client of each role may hold: the role still decides every action.
ROLE_SCOPES = {
    Role.OFFICER: {"referrals:read", "referrals:write"},
    Role.VIEWER: {"referrals:read"},
    Role.AUDITOR: {"referrals:read", "audit:read"},
    Role.ADMIN: {"referrals:read", "agency:admin"},
}


def _audit_access_change(
    actor: Caller | None, action: str, obj: models.Model, *, agency: Agency, reference="", **detail
) -> None:
    """One audit row for a change of who may do what; the action's prefix names the object."""
    audit_recorder()(
        actor=actor,
        action=action,
        object_type=action.partition(".")[0],
        object_id=obj.pk,
        reference=reference,
        agencies=[agency],
        detail=detail,
    )


def role_group_name(role: str) -> str:
    return f"role:{role}"


def agency_group_name(code: str) -> str:
    return f"agency:{code}"


def role_groups_sync(*, using: str = "default") -> None:
    """Create one group per role carrying the model permissions every app declares for it."""
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role_group_name(role))
        query = models.Q(pk__in=[])
        for label in role_permissions(role):
            app_label, codename = label.split(".", 1)
            query |= models.Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.using(using).filter(query))


@transaction.atomic
def agency_create(
    *,
    actor: Caller | None,
    code: str,
    name: str,
    country: str,
    kind: str,
    name_local: str = "",
    language: str = "en",
    notification_email: str = "",
    audit_scope: str = AuditScope.AGENCY,
) -> Agency:
    """Create an agency and the auth group that holds its object permissions."""
    agency = Agency(
        code=code,
        name=name,
        name_local=name_local,
        country=country,
        kind=kind,
        language=language,
        notification_email=notification_email,
        audit_scope=audit_scope,
    )
    agency.group = Group(name=agency_group_name(code))
    agency.full_clean(exclude=["group"])
    agency.group.save()
    agency.save()
    _audit_access_change(actor, "agency.created", agency, agency=agency, reference=agency.code)
    return agency


@transaction.atomic
def agency_update(*, actor: Caller | None, agency: Agency, **fields) -> Agency:
    """Change an agency's directory entry; its code and group never change.

    Deactivating it ends its people's sessions and its clients' tokens at once: on
    reactivation they sign in and ask for tokens again. Its deliveries stop at the dispatcher.
    """
    was_active = Agency.objects.filter(pk=agency.pk).values_list("is_active", flat=True).get()
    for name, value in fields.items():
        setattr(agency, name, value)
    agency.full_clean(exclude=["group"])
    agency.save()
    if was_active and not agency.is_active:
        _agency_access_end(agency)
    if fields:
        _audit_access_change(
            actor,
            "agency.updated",
            agency,
            agency=agency,
            reference=agency.code,
            fields=sorted(fields),
        )
    return agency


def _role_groups() -> dict[str, Group]:
    return {group.name: group for group in Group.objects.filter(name__startswith="role:")}


def _apply_role(user, agency: Agency, role: str) -> None:
    groups = _role_groups()
    user.groups.remove(*[g for name, g in groups.items() if name != role_group_name(role)])
    user.groups.add(agency.group, groups[role_group_name(role)])


@transaction.atomic
def membership_create(
    *, user, agency: Agency, role: str, is_service_account: bool = False
) -> Membership:
    """Make a user a member of one agency with a role; a user belongs to one agency only."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if Membership.objects.filter(user=user).exists():
        raise ValidationError({"user": _("This user already belongs to an agency.")})
    membership = Membership.objects.create(
        user=user, agency=agency, role=role, is_service_account=is_service_account
    )
    _apply_role(user, agency, role)
    return membership


def member_username(agency: Agency, username: str) -> str:
    """The username of a member an agency admin creates, in the agency's namespace:
    ``name@<code>``. Only names of its own namespace can collide, so a refusal never tells an
    agency that a name exists in another one."""
    namespace = agency.code.lower()
    name, at, suffix = username.rpartition("@")
    if not at:
        name = username
    elif suffix.lower() != namespace:
        raise ValidationError(
            {
                "username": _("A username of your agency ends with @%(namespace)s.")
                % {"namespace": namespace}
            }
        )
    qualified = f"{name}@{namespace}"
    if not name or len(qualified) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            {
                "username": _("A name of 1 to %(n)s characters before @%(namespace)s.")
                % {"n": USERNAME_MAX_LENGTH - len(namespace) - 1, "namespace": namespace}
            }
        )
    return qualified


@transaction.atomic
def member_create(
    *,
    actor: Caller | None,
    agency: Agency,
    username: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> Membership:
    """Create a person's login in an agency.

    An agency admin's members are named in the agency's namespace (``member_username``);
    platform operators (no actor, or a superuser) name logins freely.
    """
    if actor is not None and not actor.user.is_superuser:
        username = member_username(agency, username)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    membership = membership_create(user=user, agency=agency, role=role)
    _audit_access_change(actor, "member.created", membership, agency=agency, role=role)
    return membership


@transaction.atomic
def membership_change_role(
    *, actor: Caller | None, membership: Membership, role: str
) -> Membership:
    """Give a member another role, moving them between role groups."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "agency")
        .get(pk=membership.pk)
    )
    if membership.is_service_account:
        raise ValidationError({"role": _("An API client's role is fixed; create another client.")})
    previous_role = membership.role
    membership.role = role
    membership.version = F("version") + 1
    membership.save(update_fields=["role", "version", "updated_at"])
    membership.refresh_from_db()
    _apply_role(membership.user, membership.agency, role)
    _audit_access_change(
        actor,
        "member.role_changed",
        membership,
        agency=membership.agency,
        previous_role=previous_role,
        role=role,
    )
    return membership


@transaction.atomic
def membership_set_language(*, actor: Caller, language: str) -> Membership:
    """Keep a person's choice of language on their account, for every device they sign in on."""
    if language not in Language.values:
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    membership = (
        Membership.objects.select_for_update().select_related("agency").get(pk=actor.membership.pk)
    )
    if membership.language != language:
        membership.language = language
        membership.save(update_fields=["language", "updated_at"])
        audit_recorder()(
            actor=actor,
            action="member.language_chosen",
            object_type="member",
            object_id=membership.pk,
            agencies=[membership.agency],
            detail={"language": language},
        )
    return membership


@transaction.atomic
def membership_deactivate(*, actor: Caller | None, membership: Membership) -> Membership:
    """Stop a member from signing in; the membership stays for the record."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    user = membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    membership.version = F("version") + 1
    membership.save(update_fields=["version", "updated_at"])
    membership.refresh_from_db()
    _audit_access_change(actor, "member.deactivated", membership, agency=membership.agency)
    return membership


def _validate_client_scopes(role: str, scopes: Iterable[str]) -> list[str]:
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in settings.API_SCOPES]
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}}
        )
    if not scopes:
        raise ValidationError({"scopes": _("At least one scope is required.")})
    beyond = [s for s in scopes if s not in ROLE_SCOPES[Role(role)]]
    if beyond:
        raise ValidationError({"scopes": f"The {role} role cannot hold: {', '.join(beyond)}."})
    return scopes


@transaction.atomic
def api_client_create(
    *, actor: Caller | None, agency: Agency, name: str, role: str, scopes: Iterable[str]
) -> tuple[ApiClient, str]:
    """Register a partner system; returns the client and its secret, which is never shown again."""
    scopes = _validate_client_scopes(role, scopes)
    if ApiClient.objects.filter(agency=agency, name=name).exists():
        raise ValidationError({"name": _("This agency already has a client with this name.")})
    service_user = User(username=f"client-{uuid.uuid4().hex[:20]}", is_active=True)
    service_user.set_unusable_password()
    service_user.save()
    membership_create(user=service_user, agency=agency, role=role, is_service_account=True)
    secret = generate_client_secret()
    application = Application.objects.create(
        name=f"{agency.code}: {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
        skip_authorization=True,
    )
    client = ApiClient.objects.create(
        agency=agency,
        name=name,
        application=application,
        service_user=service_user,
        scopes=scopes,
        created_by=actor.user if actor else None,
    )
    _audit_access_change(actor, "client.created", client, agency=agency, role=role, scopes=scopes)
    return client, secret


def _drop_tokens(client: ApiClient) -> None:
    RefreshToken.objects.filter(application=client.application).delete()
    AccessToken.objects.filter(application=client.application).delete()


def _agency_access_end(agency: Agency) -> None:
    """End every session of the agency's people and every token of its API clients."""
    applications = ApiClient.objects.filter(agency=agency).values("application_id")
    RefreshToken.objects.filter(application__in=applications).delete()
    AccessToken.objects.filter(application__in=applications).delete()
    sessions_end(
        user_ids=Membership.objects.filter(agency=agency).values_list("user_id", flat=True)
    )


def sessions_end(*, user_ids) -> int:
    """Delete the stored sessions of these users; returns how many ended.

    Sessions are stored in the database (the default engine): each live one is decoded once.
    Whatever engine is used, ``may_sign_in`` refuses a session of an inactive agency.
    """
    wanted = {str(pk) for pk in user_ids}
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) in wanted
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def api_client_rotate_secret(*, actor: Caller | None, client: ApiClient) -> tuple[ApiClient, str]:
    """Issue a new secret and end every token issued under the old one."""
    client = ApiClient.objects.select_for_update().select_related("application").get(pk=client.pk)
    if client.is_revoked:
        raise ValidationError(_("A revoked client cannot be given a new secret."))
    secret = generate_client_secret()
    client.application.client_secret = secret
    client.application.save(update_fields=["client_secret", "updated"])
    client.secret_rotated_at = timezone.now()
    client.save(update_fields=["secret_rotated_at"])
    _drop_tokens(client)
    _audit_access_change(actor, "client.secret_rotated", client, agency=client.agency)
    return client, secret


@transaction.atomic
def api_client_revoke(*, actor: Caller | None, client: ApiClient) -> ApiClient:
    """Stop a client at once: its tokens are deleted and no new token is issued."""
    client = ApiClient.objects.select_for_update().select_related("service_user").get(pk=client.pk)
    if client.is_revoked:
        return client
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    client.service_user.is_active = False
    client.service_user.save(update_fields=["is_active"])
    _drop_tokens(client)
    _audit_access_change(actor, "client.revoked", client, agency=client.agency)
    return client


def _permission_ids(model: type[models.Model], perms: Iterable[str]) -> list[int]:
    return [permission_id(model, perm) for perm in perms]


def agency_grant(*, agency: Agency, obj: models.Model, perms: Iterable[str]) -> None:
    """Give an agency's group object permissions (e.g. ``view``, ``respond``) on one object."""
    get_group_obj_perms_model(obj).objects.bulk_create(
        agency_grant_rows(agency=agency, obj=obj, perms=perms), ignore_conflicts=True
    )


def agency_grant_rows(*, agency: Agency, obj: models.Model, perms: Iterable[str]) -> list:
    """The unsaved rows of ``agency_grant``, for a caller that inserts them with other rows."""
    perm_model = get_group_obj_perms_model(obj)
    return [
        perm_model(group_id=agency.group_id, permission_id=pid, content_object=obj)
        for pid in _permission_ids(type(obj), perms)
    ]


def agency_revoke(*, agency: Agency, obj: models.Model, perms: Iterable[str]) -> None:
    """Take object permissions on one object away from an agency's group."""
    perm_model = get_group_obj_perms_model(obj)
    perm_model.objects.filter(
        group_id=agency.group_id,
        content_object=obj,
        permission_id__in=_permission_ids(type(obj), perms),
    ).delete()
