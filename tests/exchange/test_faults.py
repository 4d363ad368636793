"""Delivery survives failure: Redis stopped, a worker killed mid-send, a failing receiver."""

import time

import pytest

from exchange.models import Delivery, Event

from ..processes import wait_until
from .conftest import FAULT_FIGURES
from .receiver import Reply, WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)


def _all_delivered(expected: int):
    return lambda: Delivery.objects.filter(state="delivered").count() == expected


def _report(name: str, *, events: int, receiver: WebhookReceiver, extra: str = "") -> dict:
    figures = receiver.figures()
    states = dict.fromkeys(Delivery.State.values, 0)
    for state in Delivery.objects.values_list("state", flat=True):
        states[state] += 1
    webhook_events = len(receiver.effects)
    line = (
        f"{name}: events sent {events}, deliveries {sum(states.values())} "
        f"(delivered {states['delivered']}, pending {states['pending']}, "
        f"failed {states['failed']}, dead {states['dead']}), "
        f"webhook events received {webhook_events}, lost {events - webhook_events}, "
        f"requests {figures['requests']}, duplicates seen {figures['duplicates_seen']}, "
        f"duplicates with effect {figures['duplicates_with_effect']}{extra}"
    )
    FAULT_FIGURES.append(line)
    print(line)
    return figures


def test_redis_stopped_while_events_are_emitted_loses_nothing(
    kh_agency, th_agency, emit, endpoint_for, fault_redis, start_worker
):
    with WebhookReceiver() as receiver:
        _, secret = endpoint_for(kh_agency, receiver.url)
        receiver.secret = secret
        worker = start_worker("w-before")
        for _ in range(5):
            emit("referral.sent", sender=th_agency, recipient=kh_agency)
        assert wait_until(_all_delivered(10), timeout=40), worker.log()

        # Queued in Redis with no worker to take them, then lost with Redis's memory.
        worker.stop()
        for _ in range(5):
            emit("referral.sent", sender=th_agency, recipient=kh_agency)
        fault_redis.stop()
        started = time.monotonic()
        for _ in range(20):
            emit("referral.sent", sender=th_agency, recipient=kh_agency)
        writing = time.monotonic() - started
        assert Event.objects.count() == 30, "every write committed while Redis was down"
        waiting = Delivery.objects.exclude(state="delivered")
        assert waiting.count() == 50
        assert waiting.filter(enqueued_at__isnull=True).count() == 40, "left to the sweep"

        fault_redis.start()
        worker = start_worker("w-after")
        assert wait_until(_all_delivered(60), timeout=60, interval=0.5), worker.log()
        assert receiver.wait_for(lambda r: len(r.effects) == 30, timeout=5)

    figures = _report(
        "(a) Redis stopped",
        events=30,
        receiver=receiver,
        extra=f"; the 20 writes while Redis was down took {writing:.2f} s in all",
    )
    assert len(receiver.effects) == 30, "0 lost"
    assert figures["duplicates_with_effect"] == 0
    assert all(r.verified for r in receiver.received)
    assert Delivery.objects.filter(channel="email", state="delivered").count() == 30


def test_worker_killed_mid_delivery_sends_again_with_the_same_webhook_id(
    kh_agency, th_agency, emit, endpoint_for, start_worker
):
    first_request = []

    def slow_first_answer(received, seen_before):
        if not first_request:
            first_request.append(received.webhook_id)
            return Reply(status=200, delay=30)
        return Reply(status=200)

    kh_agency.notification_email = ""
    kh_agency.save()
    with WebhookReceiver(reply=slow_first_answer) as receiver:
        endpoint_for(kh_agency, receiver.url)
        doomed = start_worker("w-doomed", beat=False)
        for _ in range(3):
            emit("referral.sent", sender=th_agency, recipient=kh_agency)
        assert receiver.wait_for(lambda r: len(r.received) >= 1, timeout=40), doomed.log()
        doomed.kill()
        interrupted = Delivery.objects.get(pk=first_request[0])
        assert interrupted.state == "pending" and interrupted.attempts == 1

        survivor = start_worker("w-survivor")
        assert wait_until(_all_delivered(3), timeout=45, interval=0.5), survivor.log()
        assert receiver.wait_for(lambda r: len(r.received) >= 4, timeout=5)

    interrupted.refresh_from_db()
    assert interrupted.attempts == 2
    ids = [r.webhook_id for r in receiver.received]
    assert ids.count(str(interrupted.pk)) == 2, "the same webhook-id, sent again"
    figures = _report("(b) worker SIGKILLed mid-delivery", events=3, receiver=receiver)
    assert figures["duplicates_seen"] == 1
    assert figures["duplicates_with_effect"] == 0
    assert len(receiver.effects) == 3


def test_receiver_answering_500_then_200_is_retried_and_delivered(
    kh_agency, th_agency, emit, endpoint_for, start_worker
):
    answered = {}

    def fail_first(received, seen_before):
        answered[received.webhook_id] = answered.get(received.webhook_id, 0) + 1
        return Reply(status=500 if answered[received.webhook_id] == 1 else 200)

    kh_agency.notification_email = ""
    kh_agency.save()
    with WebhookReceiver(reply=fail_first) as receiver:
        endpoint_for(kh_agency, receiver.url)
        worker = start_worker("w-retry")
        for _ in range(3):
            emit("referral.sent", sender=th_agency, recipient=kh_agency)
        assert wait_until(_all_delivered(3), timeout=45, interval=0.5), worker.log()

    for delivery in Delivery.objects.all():
        assert delivery.attempts == 2
        assert delivery.last_status_code == 200
        first, second = [r for r in receiver.received if r.webhook_id == str(delivery.pk)]
        assert first.status == 500 and second.status == 200
        # Backoff base 1 s with full jitter, then the next sweep (every second) sends it.
        assert 0 <= second.at - first.at <= 10
    figures = _report("(c) receiver 500 then 200", events=3, receiver=receiver)
    assert figures["duplicates_seen"] == 3
    assert figures["duplicates_with_effect"] == 0
