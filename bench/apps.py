"""The benchmarks' app: the scale seeder's management command (bench and test settings only)."""

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench"
    default_auto_field = "django.db.models.BigAutoField"
