"""Settings of the benchmark server: the configured settings plus the bench-only views."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
