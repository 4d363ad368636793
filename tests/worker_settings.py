"""Settings of the Celery workers the fault tests start: the test settings with short clocks."""

from datetime import timedelta

from config.settings.test import *  # noqa: F403

WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
DELIVERY_RETRY_BASE = timedelta(seconds=1)
DELIVERY_LEASE = timedelta(seconds=6)
DELIVERY_REQUEUE_AFTER = timedelta(seconds=5)
CELERY_BEAT_SCHEDULE = {
    "sweep-deliveries": {
        "task": "exchange.tasks.sweep_deliveries",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
}
