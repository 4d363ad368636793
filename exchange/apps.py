"""Exchange app: how information crosses between agencies (events, delivery, audit)."""

from django.apps import AppConfig

from agencies.roles import Role


class ExchangeConfig(AppConfig):
    name = "exchange"
    default_auto_field = "django.db.models.BigAutoField"

    # Agency admins manage their agency's webhooks and see its deliveries (admin site too).
    role_permissions = {
        Role.ADMIN: [
            "exchange.view_webhookendpoint",
            "exchange.add_webhookendpoint",
            "exchange.change_webhookendpoint",
            "exchange.delete_webhookendpoint",
            "exchange.view_delivery",
        ],
    }
