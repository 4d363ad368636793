"""Where the list and the write spend their time beyond the floor, one part switched off at a time.

``make bench-breakdown`` (after ``make bench`` seeded ``BENCH_DATABASE``): the mean time of
``BENCH_REQUESTS`` requests through Django's test client, in one process and one thread, so
the differences are the parts' own cost, not the load's. Cases it writes are deleted after.
"""

import base64
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 300))


@contextmanager
def switched_off(owner, name: str):
    """Replace ``owner.name`` by a function that does nothing, for the block."""
    original = getattr(owner, name)
    setattr(owner, name, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        setattr(owner, name, original)


def mean_ms(send) -> float:
    for _ in range(20):
        send()
    started = time.perf_counter()
    for _ in range(REQUESTS):
        send()
    return round((time.perf_counter() - started) / REQUESTS * 1000, 2)


def main() -> None:
    from bench import run

    os.environ.update(run.server_environment())
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench import probes
    from referrals.services import common
    from referrals.views import ReferralViewSet

    ranked = probes.agencies_by_visible_referrals()
    agency, _ = probes.typical_agency(ranked)
    recipient = probes.counterpart_of(agency, ranked)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    credentials = probes.api_client_credentials(agency, f"breakdown-{stamp}")
    basic = base64.b64encode(
        f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    ).decode()
    token = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "referrals:read referrals:write"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    partner = Client(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    superuser = Client()
    superuser.force_login(get_user_model().objects.get(username=probes.SUPERUSER))
    body = json.dumps(run.referral_body(recipient.code))

    def get(client, url):
        return lambda: _check(client.get(url), 200)

    def post(url):
        return lambda: _check(partner.post(url, body, content_type="application/json"), 201)

    page = "/api/v1/referrals/?limit=50"
    results = {"agency": agency.code, "requests": REQUESTS}
    results["list_floor_ms"] = mean_ms(
        get(Client(), f"/bench/floor/referrals/?agency={agency.code}&limit=50")
    )
    results["list_ms"] = mean_ms(get(partner, page))
    with switched_off(ReferralViewSet, "audit_list"):
        results["list_without_audit_ms"] = mean_ms(get(partner, page))
    results["list_superuser_session_ms"] = mean_ms(get(superuser, page))
    results["write_plain_ms"] = mean_ms(post("/bench/write/plain/"))
    results["write_ms"] = mean_ms(post("/bench/write/services/"))
    with switched_off(common, "audit_record"):
        results["write_without_audit_ms"] = mean_ms(post("/bench/write/services/"))
        with switched_off(common, "event_emit"):
            results["write_without_audit_and_events_ms"] = mean_ms(post("/bench/write/services/"))
    probes.remove_bench_writes()
    json.dump(results, sys.stdout, indent=2)
    print()


def _check(response, expected: int) -> None:
    if response.status_code != expected:
        raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")


if __name__ == "__main__":
    main()
