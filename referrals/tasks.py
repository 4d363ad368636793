"""Periodic work of the case domain, kept thin: each task calls one service."""

from celery import shared_task

from .services import deadlines_sweep, retention_sweep
from .services.documents import document_orphans_sweep


@shared_task
def sweep_deadlines() -> int:
    return deadlines_sweep()


@shared_task
def sweep_retention() -> int:
    return retention_sweep()


@shared_task
def sweep_document_orphans() -> int:
    return document_orphans_sweep()
