"""What every portal page knows: the person, their agency, languages and the navigation."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agencies.authentication import caller_of
from agencies.models import Country, Language
from agencies.roles import Role

ZONE_NAMES = {
    Country.KH: _("Cambodia time"),
    Country.TH: _("Thailand time"),
    Country.VN: _("Vietnam time"),
}

NAVIGATION = {
    Role.OFFICER: [
        ("portal:inbox", pgettext_lazy("navigation", "Cases")),
        ("portal:referral-new", _("New referral")),
        ("portal:return-new", _("New return")),
    ],
    Role.VIEWER: [("portal:inbox", pgettext_lazy("navigation", "Cases"))],
    Role.ADMIN: [
        ("portal:inbox", pgettext_lazy("navigation", "Cases")),
        ("portal:members", _("Members")),
        ("portal:clients", _("API clients")),
        ("portal:webhooks", _("Webhooks")),
        ("portal:agency-settings", _("Notifications")),
    ],
    Role.AUDITOR: [
        ("portal:sla-report", _("SLA report")),
        ("portal:trail", _("Audit trail")),
        ("portal:statistics", _("Statistics")),
        ("portal:inbox", pgettext_lazy("navigation", "Cases")),
    ],
}


def portal(request):
    caller = caller_of(request) if hasattr(request, "user") else None
    agency = caller.agency if caller is not None else None
    path = request.path
    nav = []
    if caller is not None and caller.role in NAVIGATION:
        for name, label in NAVIGATION[caller.role]:
            url = reverse(name)
            nav.append({"url": url, "label": label, "current": path == url})
    return {
        "caller": caller,
        "agency": agency,
        "nav": nav,
        "languages": Language.choices,
        "zone_name": ZONE_NAMES.get(agency.country, agency.country) if agency else "UTC",
    }
