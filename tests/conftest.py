"""Shared fixtures: agencies, people, partner clients with real bearer tokens, audit tampering."""

from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.test import Client
from rest_framework.test import APIClient

from agencies.roles import Role
from exchange import delivery as dispatcher
from exchange.models import AuditEvent

from .factories import AgencyFactory, api_client_with_token, member
from .processes import CeleryWorker, RedisServer, use_broker


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield


AUDIT_TABLES = (
    "exchange_auditevent",
    "exchange_auditeventagency",
    "exchange_auditleaf",
    "exchange_audittreenode",
    "exchange_audittreehead",
)


@contextmanager
def _audit_triggers_disabled():
    """As the database superuser would: the append-only triggers off, within one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked at commit, but ALTER TABLE wants no check pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in AUDIT_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield cursor
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in AUDIT_TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


class AuditWatch:
    """The audit rows written since the last look."""

    def __init__(self):
        self.mark = self._last()

    @staticmethod
    def _last() -> int:
        return AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0

    def new(self) -> list[AuditEvent]:
        rows = list(
            AuditEvent.objects.filter(sequence__gt=self.mark)
            .select_related("actor", "agency", "api_client")
            .prefetch_related("agencies")
            .order_by("sequence")
        )
        self.mark = rows[-1].sequence if rows else self.mark
        return rows


@pytest.fixture
def audit_watch(db):
    return AuditWatch()


@pytest.fixture
def audit_tampering():
    """A context manager giving a cursor that can change and delete audit rows."""
    return _audit_triggers_disabled


@pytest.fixture(autouse=True)
def _audit_trail_emptied_after_transactional_tests(request):
    """The database refuses to empty a non-empty audit trail, as the flush after a
    transactional test would: empty it first, as its owner."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")  # so that this teardown runs before the flush
    yield
    with _audit_triggers_disabled() as cursor:
        for table in AUDIT_TABLES[::-1]:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def kh_agency(db):
    return AgencyFactory(code="KH-MOSVY", country="KH", kind="social_welfare", language="km")


@pytest.fixture
def th_agency(db):
    return AgencyFactory(code="TH-MSDHS", country="TH", kind="social_welfare", language="th")


@pytest.fixture
def as_member():
    """A session-authenticated API client for a new person of ``agency`` with ``role``."""

    def make(agency, role=Role.OFFICER):
        client = APIClient()
        user = member(agency, role)
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def as_partner():
    """An API client authenticated with a bearer token of a partner system of ``agency``."""

    def make(agency, role=Role.OFFICER, scopes=None, **headers):
        api_client, raw = api_client_with_token(agency, role, scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)
        client.api_client = api_client
        return client

    return make


@pytest.fixture
def kh_admin(kh_agency, as_partner):
    """The partner system of KH-MOSVY's admin, with the agency:admin scope."""
    return as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])


@pytest.fixture
def operator_browser(django_user_model):
    """The admin site, signed in as a platform operator (a superuser)."""
    browser = Client()
    browser.force_login(
        django_user_model.objects.create_superuser("root", "root@example.org", "pw-Secret-123")
    )
    return browser


@pytest.fixture
def fault_redis(tmp_path, monkeypatch):
    """A redis-server of the test's own, the broker of this process and of its workers."""
    server = RedisServer(tmp_path).start()
    use_broker(server.url)
    monkeypatch.setattr(dispatcher, "_broker_paused_until", 0.0)
    yield server
    server.stop()
    use_broker(settings.CELERY_BROKER_URL)


@pytest.fixture
def start_worker(transactional_db, fault_redis, tmp_path):
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    workers = []

    def start(name: str, *, beat: bool = True) -> CeleryWorker:
        worker = CeleryWorker(
            name=name,
            database_url=database_url,
            broker_url=fault_redis.url,
            workdir=tmp_path,
            beat=beat,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
