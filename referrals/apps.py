"""Referrals app: the top layer (the cross-border case workflows)."""

from django.apps import AppConfig

from agencies.roles import Role

_CASE_MODELS = ("referralnotice", "returnrequest")


def _case_perms(*verbs: str) -> list[str]:
    return [f"referrals.{verb}_{model}" for model in _CASE_MODELS for verb in verbs]


class ReferralsConfig(AppConfig):
    name = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

    # Model permissions each role carries on cases (object permissions come per agency).
    role_permissions = {
        Role.OFFICER: _case_perms("view", "add", "change", "respond", "message"),
        Role.VIEWER: _case_perms("view"),
        Role.ADMIN: _case_perms("view"),
        Role.AUDITOR: _case_perms("view"),
    }
