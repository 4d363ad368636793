"""The start page: each role lands where its work is."""

from django.shortcuts import redirect

from agencies.roles import Role

from .access import portal_page

LANDING = {
    Role.OFFICER: "portal:inbox",
    Role.VIEWER: "portal:inbox",
    Role.ADMIN: "portal:members",
    Role.AUDITOR: "portal:sla-report",
}


@portal_page()
def home(request):
    return redirect(LANDING.get(request.caller.role, "portal:inbox"))
