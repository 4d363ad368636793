"""Exchange app: the middle layer (API conventions, events, delivery, audit)."""

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    default_auto_field = "django.db.models.BigAutoField"
