"""Who may open a portal page: a signed-in member of an active agency with the page's role."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from agencies.authentication import caller_of
from exchange.audit import audit_request_denied


def not_found(request):
    """The one page for a case that does not exist and a case another agency keeps."""
    return render(request, "portal/not_found.html", status=404)


def forbidden(request, *, object_type: str = ""):
    audit_request_denied(request, status_code=403, object_type=object_type)
    return render(request, "portal/forbidden.html", status=403)


def portal_page(*roles: str, object_type: str = ""):
    """A page for signed-in members of an active agency, optionally of some roles only.

    The view gets ``request.caller``; anonymous visitors go to the sign-in page and come back.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            caller = caller_of(request)
            member = caller.membership is not None and caller.agency.is_active
            if not member or (roles and caller.role not in roles):
                return forbidden(request, object_type=object_type)
            request.caller = caller
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
