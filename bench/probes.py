"""In-process measurements on the bench database: data, query counts, plans, sweep, audit."""

import io
import json
import re
import time
import uuid
from datetime import timedelta

from celery import current_app
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency
from agencies.roles import Role
from agencies.selectors import restrict_to_agency
from agencies.services import member_create
from bench.seed import SEEDED_TABLES, analyze_seeded_tables
from exchange.models import Event
from referrals.deadlines import overdue_filter
from referrals.models import (
    ReferralNotice,
    ReferralNoticeGroupObjectPermission,
    ReferralStatus,
    ReminderSchedule,
    ReturnRequest,
    ReturnStatus,
    Subject,
)
from referrals.services import deadlines_sweep
from referrals.services.common import schedules_set

CASE_MODELS = (ReferralNotice, ReturnRequest)
SUPERUSER = "bench-superuser"
# Due cases in the 1%-due burst at a million cases.
MILLION_BURST = 10_000
# Tables a list or the sweep must never read from end to end.
WATCHED_TABLES = tuple(model._meta.db_table for model in SEEDED_TABLES[:5])


def seeded_cases() -> int:
    """Cases written by seed_scale: those whose creator is a person, not an API client."""
    return sum(
        model.objects.filter(created_by__membership__is_service_account=False).count()
        for model in CASE_MODELS
    )


def table_rows() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in SEEDED_TABLES}


def agencies_by_visible_referrals() -> list[tuple[Agency, int]]:
    """Agencies that take part in referrals, with how many each sees, fewest first."""
    counts = dict(
        ReferralNoticeGroupObjectPermission.objects.filter(
            permission__codename="view_referralnotice"
        )
        .values_list("group_id")
        .annotate(cases=Count("id"))
    )
    agencies = Agency.objects.filter(group_id__in=counts)
    return sorted(((a, counts[a.group_id]) for a in agencies), key=lambda pair: pair[1])


def typical_agency(ranked: list[tuple[Agency, int]]) -> tuple[Agency, int]:
    """The agency with the median number of visible referrals."""
    return ranked[len(ranked) // 2]


def counterpart_of(agency: Agency, ranked: list[tuple[Agency, int]]) -> Agency:
    """The busiest agency of another country: the recipient of the bench's writes."""
    return next(a for a, _ in reversed(ranked) if a.country != agency.country)


def detail_ids(agency: Agency, count: int = 1000) -> list[str]:
    visible = restrict_to_agency(ReferralNotice.objects.all(), agency=agency, perm="view")
    return [str(pk) for pk in visible.order_by("?").values_list("id", flat=True)[:count]]


def api_client_credentials(agency: Agency, name: str) -> dict:
    """A new officer client of ``agency``, through ``create_api_client --json``."""
    out = io.StringIO()
    call_command(
        "create_api_client",
        agency=agency.code,
        name=name,
        role="officer",
        scopes="referrals:read referrals:write",
        json=True,
        stdout=out,
    )
    return json.loads(out.getvalue())


def superuser_with_password(password: str):
    """The bench's superuser (created on first use), with ``password`` for this run."""
    user, _ = get_user_model().objects.get_or_create(
        username=SUPERUSER, defaults={"is_superuser": True, "is_staff": True}
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def officer_with_password(agency: Agency, password: str):
    """The bench's officer of ``agency`` (created on first use), with ``password`` for this run."""
    username = f"bench-officer-{agency.code.lower()}"
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = member_create(actor=None, agency=agency, username=username, role=Role.OFFICER).user
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def list_queries(token: str) -> dict:
    """Queries per list request with a page of 10 and of 200; the SQL of the page of 50."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    counts, page_sql = {}, {}
    for limit in (10, 50, 200):
        url = f"/api/v1/referrals/?limit={limit}"
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        counts[limit] = len(captured)
        page_sql[limit] = page_query(captured)
    return {"queries_list_10": counts[10], "queries_list_200": counts[200], "sql": page_sql[50]}


def unfiltered_sql() -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=SUPERUSER))
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/referrals/?limit=50").status_code == 200
    return page_query(captured)


def page_query(captured: CaptureQueriesContext) -> str:
    """The query that reads the page of referrals among a request's queries."""
    table = f'FROM "{ReferralNotice._meta.db_table}"'
    return next(q["sql"] for q in captured if table in q["sql"] and "LIMIT" in q["sql"])


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def sequential_scans(plan: str) -> list[str]:
    """The watched tables a plan reads from end to end."""
    return sorted(
        {table for table in re.findall(r"Seq Scan on (\w+)", plan) if table in WATCHED_TABLES}
    )


def sweep(share: float = 0.01) -> dict:
    """Time the deadline sweep with ``share`` of all cases due at once, then roll it back.

    The seeded history is mostly closed, as years of cases are: to make 1% due, that many
    cases picked at random are put back where their first clock passed its deadline an hour
    ago. The sweep then sends their reminders (events, audience, deliveries, reminder rows) and
    reads no other case. The sweep a day ahead on the data as seeded is timed too.
    """
    now = timezone.now()
    plan = (
        ReminderSchedule.objects.filter(case_type=ReferralNotice.kind, next_at__lte=now)
        .order_by("next_at")
        .explain(analyze=True)
    )
    with transaction.atomic():
        started = time.perf_counter()
        day_ahead = deadlines_sweep(now=now + timedelta(days=1))
        day_ahead_s = time.perf_counter() - started
        transaction.set_rollback(True)
    elapsed, due, sent = _sweep_due(share=share, now=now)
    # The burst of 1% of a million cases, on a smaller table: the sweep reads only due rows,
    # so its time follows the number of reminders more than the size of the table.
    cases = sum(model.objects.count() for model in CASE_MODELS)
    burst_s, burst_due, burst_sent = _sweep_due(share=min(1.0, MILLION_BURST / cases), now=now)
    return {
        "sweep_s": elapsed,
        "sweep_due_cases": due,
        "sweep_reminders": sent,
        "sweep_burst_s": burst_s,
        "sweep_burst_due_cases": burst_due,
        "sweep_burst_reminders": burst_sent,
        "sweep_day_ahead_s": day_ahead_s,
        "sweep_day_ahead_reminders": day_ahead,
        "sweep_seq_scans": sequential_scans(plan),
        "sweep_plans": {"referrals due": plan},
        "open_cases": open_cases(),
    }


def _sweep_due(*, share: float, now) -> tuple[float, dict, int]:
    """Seconds of the sweep with ``share`` of the cases made due, rolled back after.

    What each batch's commit does is timed too, which a rolled-back transaction would skip: the
    deferred checks of the foreign keys its rows name, and its deliveries handed to the broker
    (the messages are purged after, as their rows are rolled back).
    """
    with transaction.atomic():
        due = {
            model._meta.model_name: _make_due(model, share=share, now=now) for model in CASE_MODELS
        }
        _constraints_checked()
        connection.run_on_commit = []
        started = time.perf_counter()
        sent = deadlines_sweep(now=now)
        _constraints_checked()
        callbacks, connection.run_on_commit = connection.run_on_commit, []
        for _savepoints, callback, _robust in callbacks:
            callback()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    current_app.control.purge()
    return elapsed, due, sent


def _constraints_checked() -> None:
    """Run the deferred constraint checks of the transaction so far, as a commit would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _make_due(model, *, share: float, now) -> int:
    """Put ``share`` of the model's cases, from a random point, an hour past a deadline."""
    count = round(model.objects.count() * share)
    start = uuid.uuid4()
    ids = list(
        model.objects.filter(pk__gte=start).order_by("pk").values_list("pk", flat=True)[:count]
    )
    ids += (
        model.objects.filter(pk__lt=start)
        .order_by("pk")
        .values_list("pk", flat=True)[: count - len(ids)]
    )
    schedules_set(model.kind, dict.fromkeys(ids, now - timedelta(minutes=1)))
    overdue = {}
    if model is ReferralNotice:
        overdue.update(
            status=ReferralStatus.SENT,
            acknowledge_due_at=now - timedelta(hours=1),
            respond_due_at=now + timedelta(days=5),
        )
    else:
        overdue.update(status=ReturnStatus.REQUESTED, verification_due_at=now - timedelta(hours=1))
    return model.objects.filter(pk__in=ids).update(**overdue)


def open_cases() -> dict:
    """Open cases with a running clock, and how many of them are overdue now."""
    return {
        model._meta.model_name: {
            "open": model.objects.filter(status__in=statuses).count(),
            "overdue": model.objects.filter(overdue_filter(model)).count(),
        }
        for model, statuses in (
            (ReferralNotice, [ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED]),
            (ReturnRequest, [ReturnStatus.REQUESTED, ReturnStatus.ACKNOWLEDGED]),
        )
    }


def remove_bench_writes() -> int:
    """Delete the cases the bench's API clients wrote, with their subjects and events.

    Left in place, they would be the newest cases of the measured agency at the next run; the
    tables are vacuumed and analysed again, so plans do not depend on what earlier runs did.
    """
    removed = 0
    for model in CASE_MODELS:
        written = model.objects.filter(created_by__membership__is_service_account=True)
        rows = list(written.values_list("id", "subject_id"))
        if not rows:
            continue
        ids, subjects = [row[0] for row in rows], [row[1] for row in rows]
        Event.objects.filter(object_id__in=ids).delete()
        ReminderSchedule.objects.filter(case_id__in=ids).delete()
        removed += model.objects.filter(id__in=ids).delete()[1].get(model._meta.label, 0)
        Subject.objects.filter(id__in=subjects).delete()
    if removed:
        analyze_seeded_tables()
    return removed


def verify_audit() -> float:
    """Seconds ``verify_audit`` takes to recompute the whole audit chain."""
    started = time.perf_counter()
    call_command("verify_audit", stdout=io.StringIO())
    return time.perf_counter() - started
