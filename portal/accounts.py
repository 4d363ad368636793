"""Sign-in for people: password, lockout, second factor (TOTP), sign-out and password reset.

Every sign-in, failure, lockout, second factor and sign-out is a row of the audit trail.
"""

import segno
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import services as agency_services
from agencies.authentication import Caller, caller_of
from agencies.models import Membership
from exchange.audit import audit_record
from exchange.models import AuditEvent

from .middleware import has_confirmed_device, owes_second_factor

BACKUP_CODES = 10
DENIED = AuditEvent.Outcome.DENIED


def _caller_named(username: str) -> Caller | None:
    """The account a sign-in attempt named, if there is one (the trail names who was tried)."""
    User = auth.get_user_model()
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None:
        return None
    return Caller(user=user, membership=Membership.objects.filter(user=user).first())


def audit_sign_in(request, action: str, *, caller=None, username: str = "", status_code=200):
    """One row: ``action`` by the signed-in person, or by the account an attempt named."""
    caller = caller or caller_of(request) or _caller_named(username)
    audit_record(
        actor=caller,
        action=action,
        object_type="session",
        outcome=AuditEvent.Outcome.ALLOWED if status_code < 400 else DENIED,
        status_code=status_code,
        detail={"path": request.path},
    )


def on_locked_out(sender, request, username, ip_address, **kwargs):
    """django-axes locked a username and source: the trail says so."""
    audit_sign_in(request, "portal.sign_in.locked_out", username=username or "", status_code=429)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else settings.LOGIN_REDIRECT_URL


class SignInView(auth_views.LoginView):
    """One sign-in page for every role."""

    template_name = "portal/accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_sign_in(self.request, "portal.sign_in", caller=caller_of(self.request))
        return response

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        audit_sign_in(self.request, "portal.sign_in", username=username, status_code=401)
        return super().form_invalid(form)


@require_POST
def language_choice(request):
    """The language switch: this browser remembers the choice, and so does a signed-in account."""
    response = set_language(request)
    caller = caller_of(request)
    language = request.POST.get("language", "")
    if (
        caller is not None
        and caller.membership is not None
        and language in dict(settings.LANGUAGES)
        and not owes_second_factor(request.user, caller)
    ):
        agency_services.membership_set_language(actor=caller, language=language)
    return response


class SignOutView(auth_views.LogoutView):
    template_name = "portal/accounts/signed_out.html"

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_sign_in(request, "portal.sign_out")
        return super().post(request, *args, **kwargs)


def otp_verify(request):
    """The second factor after the password: a code from the app, or a backup code."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    error = ""
    if request.method == "POST":
        device = match_token(request.user, request.POST.get("token", "").strip())
        if device is not None:
            otp_login(request, device)
            audit_sign_in(request, "portal.sign_in.second_factor")
            return redirect(_safe_next(request))
        audit_sign_in(request, "portal.sign_in.second_factor", status_code=401)
        error = _("This code is not valid. Try the current code from your app.")
    return render(
        request,
        "portal/accounts/otp_verify.html",
        {"error": error, "next": _safe_next(request)},
    )


def _qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code, drawn here (nothing leaves the server)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


@transaction.atomic
def _confirm(user, device: TOTPDevice) -> list[str]:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup, _created = StaticDevice.objects.get_or_create(user=user, name="backup")
    backup.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    backup.token_set.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


def otp_setup(request):
    """Set up the authenticator app: scan the code, confirm one code, keep the backup codes."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    user = request.user
    if has_confirmed_device(user) and not user.is_verified():
        return redirect("portal:otp-verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="portal", confirmed=False)
    error = ""
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            codes = _confirm(user, device)
            otp_login(request, device)
            audit_sign_in(request, "portal.two_factor.enrolled")
            return render(
                request,
                "portal/accounts/otp_backup_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
        error = _("This code is not valid. Try the current code from your app.")
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return render(
        request,
        "portal/accounts/otp_setup.html",
        {
            "qr": _qr_svg(device),
            "secret": secret,
            "error": error,
            "next": _safe_next(request),
            "required": caller_of(request)
            and caller_of(request).role in settings.PORTAL_TWO_FACTOR_ROLES,
        },
    )


class LocalisedPasswordResetForm(PasswordResetForm):
    """The reset email goes out in the person's language: their choice, else their agency's."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        membership = (
            Membership.objects.filter(user=context["user"]).select_related("agency").first()
        )
        language = membership.page_language if membership else translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


password_reset = auth_views.PasswordResetView.as_view(
    form_class=LocalisedPasswordResetForm,
    template_name="portal/registration/password_reset_form.html",
    email_template_name="portal/registration/password_reset_email.txt",
    subject_template_name="portal/registration/password_reset_subject.txt",
    success_url=reverse_lazy("portal:password-reset-done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="portal/registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="portal/registration/password_reset_confirm.html",
    success_url=reverse_lazy("portal:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="portal/registration/password_reset_complete.html"
)
