"""Each person's language and country time, two-factor where required, no caching of pages."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode

from agencies.authentication import caller_of

# Machine paths keep their own conventions (Accept-Language, no session pages).
MACHINE_PREFIXES = ("/api/", "/o/", "/static/", "/healthz", "/readyz")
# Paths a signed-in person reaches before the second factor is done.
TWO_FACTOR_EXEMPT = ("/accounts/",)
# The idle timeout restarts on activity, noted in the session at most this often.
ACTIVITY_KEY = "portal_active_at"
ACTIVITY_RESOLUTION_S = 60


def language_of(request, caller) -> str:
    """The language a signed-in person chose on their account, else this browser's choice (the
    language cookie), else their agency's."""
    languages = dict(settings.LANGUAGES)
    membership = caller.membership if caller is not None else None
    if membership is not None and membership.language in languages:
        return membership.language
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in languages:
        return chosen
    if membership is not None:
        return membership.agency.language
    return translation.get_language_from_request(request)


def has_confirmed_device(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def owes_second_factor(user, caller) -> bool:
    """Signed in with a password only, where a second factor is set up or the role needs one."""
    if user.is_verified():
        return False
    role = caller.role if caller is not None else None
    return role in settings.PORTAL_TWO_FACTOR_ROLES or has_confirmed_device(user)


def two_factor_redirect(request, caller):
    """Where a signed-in person must go first: the second factor, or setting one up."""
    user = request.user
    if request.path.startswith(TWO_FACTOR_EXEMPT) or not owes_second_factor(user, caller):
        return None
    query = urlencode({"next": request.get_full_path()})
    if has_confirmed_device(user):
        return redirect(f"{reverse('portal:otp-verify')}?{query}")
    return redirect(f"{reverse('portal:otp-setup')}?{query}")


class PortalMiddleware:
    """Sets the language and time zone of a person's pages; pages are never cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(MACHINE_PREFIXES):
            self._without_unfinished_session(request)
            return self.get_response(request)
        caller = caller_of(request)
        language = language_of(request, caller)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        if caller is not None and caller.agency is not None:
            timezone.activate(caller.agency.timezone)
        if request.user.is_authenticated and not request.path.startswith("/admin/"):
            detour = two_factor_redirect(request, caller)
            if detour is not None:
                return detour
        if request.user.is_authenticated:
            self._note_activity(request)
        response = self.get_response(request)
        # Pages name people and cases: no browser or proxy keeps a copy.
        patch_cache_control(response, no_store=True, private=True)
        timezone.deactivate()
        return response

    @staticmethod
    def _note_activity(request) -> None:
        """A page seen is activity: the idle timeout starts again (API calls do not count).

        The session is written at most once a minute, not on every page.
        """
        now = int(timezone.now().timestamp())
        if now - request.session.get(ACTIVITY_KEY, 0) >= ACTIVITY_RESOLUTION_S:
            request.session[ACTIVITY_KEY] = now

    @staticmethod
    def _without_unfinished_session(request) -> None:
        """A session still owing a required second factor does not reach the API either."""
        if not settings.PORTAL_TWO_FACTOR_ROLES:
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return
        caller = caller_of(request)
        if caller is not None and caller.role in settings.PORTAL_TWO_FACTOR_ROLES:
            request.user = AnonymousUser()
            request._caller = None
