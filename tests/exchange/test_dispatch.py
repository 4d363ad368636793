"""Dispatch: deliveries written with their event, claimed once, retried on schedule, swept."""

import base64
import json
import threading
import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from exchange import delivery as dispatcher
from exchange import services
from exchange.delivery import deliveries_sweep, delivery_attempt, retry_at
from exchange.models import Delivery, Event, EventAudience, WebhookEndpoint
from exchange.outcomes import AttemptOutcome

from ..factories import AgencyFactory
from .receiver import Reply, WebhookReceiver

pytestmark = pytest.mark.django_db


def test_event_writes_one_delivery_per_subscribed_endpoint_and_one_email(
    kh_agency, th_agency, emit, endpoint_for
):
    every, _ = endpoint_for(kh_agency, "http://127.0.0.1:9/all")
    referrals, _ = endpoint_for(kh_agency, "http://127.0.0.1:9/ref", event_types=["referral.*"])
    endpoint_for(kh_agency, "http://127.0.0.1:9/ret", event_types=["return.verified"])
    paused, _ = endpoint_for(th_agency, "http://127.0.0.1:9/th")
    paused.is_active = False
    paused.save()

    event = emit("referral.sent", sender=th_agency, recipient=kh_agency)

    webhooks = Delivery.objects.filter(event=event, channel="webhook")
    assert {d.endpoint_id for d in webhooks} == {every.pk, referrals.pk}
    emails = Delivery.objects.filter(event=event, channel="email")
    # The agency that acted is not emailed about its own action; webhooks still tell it.
    assert [d.agency for d in emails] == [kh_agency]
    assert all(d.state == "pending" and d.attempts == 0 for d in Delivery.objects.all())


def test_agency_without_notification_address_gets_no_email(kh_agency, th_agency, emit):
    kh_agency.notification_email = ""
    kh_agency.save()
    event = emit("referral.sent", sender=th_agency, recipient=kh_agency)
    assert not Delivery.objects.filter(event=event).exists()


def test_drafts_are_not_emailed(kh_agency, th_agency, emit):
    event = emit("referral.created", sender=th_agency, recipient=kh_agency)
    assert not Delivery.objects.filter(event=event, channel="email").exists()


def test_rolled_back_transaction_leaves_no_event_and_no_delivery(
    kh_agency, th_agency, emit, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(kh_agency, "http://127.0.0.1:9/all")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        raise RuntimeError("the case write failed after the event")
    assert not Event.objects.exists()
    assert not EventAudience.objects.exists()
    assert not Delivery.objects.exists()
    assert callbacks == []


def test_committed_event_queues_its_deliveries_on_commit(
    kh_agency, th_agency, emit, endpoint_for, django_capture_on_commit_callbacks, monkeypatch
):
    endpoint_for(kh_agency, "http://127.0.0.1:9/all")
    queued = []
    monkeypatch.setattr(dispatcher, "_enqueue", lambda *deliveries: queued.append(deliveries))
    with django_capture_on_commit_callbacks(execute=True):
        event = emit("referral.sent", sender=th_agency, recipient=kh_agency)
    webhook = Delivery.objects.get(event=event, channel="webhook")
    email = Delivery.objects.get(event=event, channel="email")
    assert queued == [([webhook.pk], [email.pk])]


def test_personal_data_in_event_data_is_refused(kh_agency, th_agency, emit):
    with pytest.raises(ValueError, match="given_name"):
        emit("referral.sent", sender=th_agency, recipient=kh_agency, data={"given_name": "Sokha"})
    assert not Event.objects.exists()


def test_sweep_queues_due_deliveries_the_broker_lost_and_not_the_others(kh_agency, th_agency, emit):
    for _ in range(5):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
    lost, queued_recently, leased, not_due, delivered = Delivery.objects.order_by("created_at")
    now = timezone.now()
    Delivery.objects.filter(pk=lost.pk).update(enqueued_at=now - timedelta(minutes=10))
    Delivery.objects.filter(pk=queued_recently.pk).update(enqueued_at=now)
    Delivery.objects.filter(pk=leased.pk).update(
        enqueued_at=None, lease_expires_at=now + timedelta(seconds=30)
    )
    Delivery.objects.filter(pk=not_due.pk).update(
        state="failed", enqueued_at=None, next_attempt_at=now + timedelta(minutes=5)
    )
    Delivery.objects.filter(pk=delivered.pk).update(
        state="delivered", enqueued_at=None, next_attempt_at=None
    )

    assert deliveries_sweep(now=now) == 1
    lost.refresh_from_db()
    assert lost.enqueued_at == now
    assert deliveries_sweep(now=now) == 0, "queued again only once"


def test_retry_schedule_is_exponential_with_full_jitter_within_three_days(settings):
    now = timezone.now()
    until = now + settings.DELIVERY_RETRY_WINDOW
    base = settings.DELIVERY_RETRY_BASE
    for attempts in range(1, 12):
        ceiling = min(settings.DELIVERY_RETRY_CAP, base * 2 ** (attempts - 1))
        delays = [retry_at(attempts=attempts, now=now, retry_until=until) - now for _ in range(50)]
        assert all(timedelta(0) <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1, "jittered"
    assert retry_at(attempts=500, now=now, retry_until=until) <= until
    assert retry_at(attempts=3, now=until, retry_until=until) is None


def test_retry_after_is_honoured_but_not_beyond_the_window(settings):
    now = timezone.now()
    until = now + timedelta(hours=1)
    wait = timedelta(seconds=120)
    assert retry_at(attempts=1, now=now, retry_until=until, retry_after=wait) == now + wait
    assert retry_at(attempts=1, now=now, retry_until=until, retry_after=timedelta(hours=2)) is None


def test_receiver_answering_500_then_200_is_retried_on_schedule_and_delivered(
    kh_agency, th_agency, emit, endpoint_for, monkeypatch
):
    # The jitter's upper end: the first retry waits the whole base delay.
    monkeypatch.setattr(dispatcher.random, "uniform", lambda low, high: high)
    answers = iter([500, 200])
    with WebhookReceiver(reply=lambda r, seen: Reply(status=next(answers))) as receiver:
        endpoint, secret = endpoint_for(kh_agency, receiver.url)
        receiver.secret = secret
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery = Delivery.objects.get(endpoint=endpoint)

        failed = delivery_attempt(delivery_id=delivery.pk)
        assert failed.state == "failed"
        assert failed.last_status_code == 500
        assert failed.last_error == "HTTP 500."
        waited = failed.next_attempt_at - failed.last_attempt_at
        assert timedelta(seconds=30) <= waited <= timedelta(seconds=35)
        assert delivery_attempt(delivery_id=delivery.pk) is None, "not due yet"

        with time_machine.travel(failed.next_attempt_at + timedelta(seconds=1)):
            delivered = delivery_attempt(delivery_id=delivery.pk)
        assert delivered.state == "delivered"
        assert delivered.attempts == 2
        assert delivered.last_status_code == 200
        assert delivered.next_attempt_at is None
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == str(delivery.pk), "the same webhook-id"
    assert first.body == second.body
    assert first.verified and second.verified, "each attempt is signed afresh"
    assert receiver.figures() == {
        "requests": 2,
        "effects": 1,
        "duplicates_seen": 1,
        "duplicates_with_effect": 0,
    }


def test_failures_past_three_days_make_the_delivery_dead(kh_agency, th_agency, emit, endpoint_for):
    with WebhookReceiver(reply=lambda r, seen: Reply(status=503)) as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery = Delivery.objects.get(endpoint=endpoint)
        with time_machine.travel(delivery.retry_until + timedelta(seconds=1)):
            dead = delivery_attempt(delivery_id=delivery.pk)
    assert dead.state == "dead"
    assert dead.next_attempt_at is None
    assert dead.last_status_code == 503


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_of_429_and_503_sets_the_next_attempt(
    kh_agency, th_agency, emit, endpoint_for, status
):
    reply = Reply(status=status, headers={"Retry-After": "600"})
    with WebhookReceiver(reply=lambda r, seen: reply) as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    assert delivery.state == "failed"
    waited = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=599) <= waited <= timedelta(seconds=602)


@pytest.mark.parametrize("seconds", ["10000000000000", "9" * 30])
def test_retry_after_beyond_any_date_ends_the_delivery_and_releases_it(
    kh_agency, th_agency, emit, endpoint_for, seconds
):
    reply = Reply(status=503, headers={"Retry-After": seconds})
    with WebhookReceiver(reply=lambda r, seen: reply) as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    assert (delivery.state, delivery.last_status_code) == ("dead", 503)
    assert delivery.lease_token is None and delivery.next_attempt_at is None


def test_http_date_retry_after_is_honoured(kh_agency, th_agency, emit, endpoint_for):
    later = timezone.now() + timedelta(minutes=20)
    stamp = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    reply = Reply(status=429, headers={"Retry-After": stamp})
    with WebhookReceiver(reply=lambda r, seen: reply) as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    assert abs(delivery.next_attempt_at - later) < timedelta(seconds=2)


def test_410_gone_disables_the_endpoint_and_ends_its_pending_deliveries(
    kh_agency, th_agency, emit, endpoint_for
):
    with WebhookReceiver(reply=lambda r, seen: Reply(status=410)) as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        first = emit("referral.sent", sender=th_agency, recipient=kh_agency)
        emit("referral.acknowledged", sender=th_agency, recipient=kh_agency, actor=kh_agency)
        gone = delivery_attempt(delivery_id=Delivery.objects.get(event=first, endpoint=endpoint).pk)
    assert gone.state == "dead"
    assert gone.last_status_code == 410
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "410" in endpoint.disabled_reason
    assert set(endpoint.deliveries.values_list("state", flat=True)) == {"dead"}
    assert len(receiver.received) == 1
    emit("referral.accepted", sender=th_agency, recipient=kh_agency, actor=kh_agency)
    assert endpoint.deliveries.count() == 2, "a disabled endpoint gets no new deliveries"


def test_unreachable_receiver_is_a_failed_attempt_with_the_reason(
    kh_agency, th_agency, emit, endpoint_for
):
    with WebhookReceiver() as receiver:
        url = receiver.url
    endpoint, _ = endpoint_for(kh_agency, url)
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    delivery = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    assert delivery.state == "failed"
    assert delivery.last_status_code is None
    assert "ConnectError" in delivery.last_error


def test_private_target_is_refused_at_send_time_when_not_allowed(
    kh_agency, th_agency, emit, endpoint_for, settings, receiver
):
    endpoint, _ = endpoint_for(kh_agency, receiver.url)
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    # The name pointed somewhere public when saved and resolves to loopback now (rebinding).
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    delivery = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    assert delivery.state == "failed"
    assert delivery.last_error.startswith("Refused:")
    assert "127.0.0.1" in delivery.last_error
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_delivery(kh_agency, th_agency, emit, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    monkeypatch.setattr(dispatcher, "_enqueue", lambda *deliveries: None)
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    delivery = Delivery.objects.get()
    claims, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        claims.append(dispatcher._claim(delivery.pk))
        connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([c for c in claims if c is not None]) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.lease_expires_at > timezone.now()


def test_a_lease_left_by_a_dead_worker_expires_and_the_delivery_is_tried_again(
    kh_agency, th_agency, emit, settings
):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    delivery = Delivery.objects.get()
    assert dispatcher._claim(delivery.pk) is not None
    assert dispatcher._claim(delivery.pk) is None, "held by the first worker"
    with time_machine.travel(timezone.now() + settings.DELIVERY_LEASE + timedelta(seconds=1)):
        again = dispatcher._claim(delivery.pk)
    assert again is not None
    assert again.attempts == 2


def test_inactive_endpoint_delivery_is_dead_without_a_request(
    kh_agency, th_agency, emit, endpoint_for, receiver
):
    endpoint, _ = endpoint_for(kh_agency, receiver.url)
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    delivery = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    assert delivery.state == "dead"
    assert receiver.received == []


def test_other_agencies_are_not_concerned(kh_agency, th_agency, emit, endpoint_for):
    stranger = AgencyFactory(code="VN-MOLISA", country="VN")
    endpoint_for(stranger, "http://127.0.0.1:9/vn")
    event = emit("referral.sent", sender=th_agency, recipient=kh_agency)
    assert not Delivery.objects.filter(event=event, agency=stranger).exists()


def test_endpoint_deleted_during_an_attempt_ends_it_quietly(
    kh_agency, th_agency, emit, endpoint_for, monkeypatch
):
    endpoint, _ = endpoint_for(kh_agency, "http://127.0.0.1:9/kh")
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    delivery = Delivery.objects.get(endpoint=endpoint)

    def send_while_the_admin_deletes(claimed):
        services.webhook_endpoint_delete(actor=None, endpoint=endpoint)
        return AttemptOutcome(delivered=True, status_code=200)

    monkeypatch.setattr(dispatcher, "webhook_send", send_while_the_admin_deletes)
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert not Delivery.objects.filter(pk=delivery.pk).exists()


def test_sweep_drains_a_backlog_larger_than_one_batch(kh_agency, th_agency, emit, settings):
    settings.DELIVERY_SWEEP_BATCH = 2
    for _ in range(5):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
    Delivery.objects.update(enqueued_at=None)
    assert deliveries_sweep() == 5
    assert not Delivery.objects.filter(enqueued_at__isnull=True).exists()


def _pushed_messages(before: int) -> list[tuple[str, list]]:
    """Take the task messages pushed to the broker's queue since it held ``before``."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    raw = broker.lpop("celery", broker.llen("celery") - before) or []
    messages = []
    for message in map(json.loads, reversed(raw)):
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], args))
    return messages


def _queued() -> int:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery")


def test_emails_go_to_the_broker_in_batches_and_webhooks_one_by_one():
    webhooks = [uuid.uuid4() for _ in range(2)]
    emails = [uuid.uuid4() for _ in range(dispatcher.EMAIL_BATCH * 2 + 50)]
    before = _queued()
    dispatcher._enqueue(webhooks, emails)
    messages = _pushed_messages(before)
    assert messages[:2] == [("exchange.tasks.deliver", [str(pk)]) for pk in webhooks]
    batches = messages[2:]
    assert [task for task, _ in batches] == ["exchange.tasks.deliver_emails"] * 3
    assert [len(args[0]) for _, args in batches] == [100, 100, 50]
    assert [pk for _, args in batches for pk in args[0]] == [str(pk) for pk in emails]


def test_a_batch_of_emails_sends_each_once(kh_agency, th_agency, emit, mailoutbox):
    for _ in range(3):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
    emails = list(Delivery.objects.filter(channel="email").values_list("pk", flat=True))
    assert dispatcher.deliveries_attempt(emails) == 3
    assert len(mailoutbox) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert dispatcher.deliveries_attempt(emails) == 3
    assert len(mailoutbox) == 3, "a delivery already made is not made again"


def test_a_batch_out_of_time_queues_the_rest_again(kh_agency, th_agency, emit, mailoutbox):
    for _ in range(2):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
    emails = list(Delivery.objects.filter(channel="email").values_list("pk", flat=True))
    before = _queued()
    assert dispatcher.deliveries_attempt(emails, budget=-1) == 0
    assert _pushed_messages(before) == [
        ("exchange.tasks.deliver_emails", [[str(pk) for pk in emails]])
    ]
    assert mailoutbox == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
