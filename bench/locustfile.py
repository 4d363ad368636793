"""The load: one locust user class per scenario, run headless by ``bench.run``.

``BENCH_PLAN`` names a JSON file with the credentials, ids and request body to use;
``BENCH_SAMPLES`` the file this process writes every response time to, so percentiles are
exact rather than locust's rounded buckets.
"""

import json
import os
import random
import time
from collections import defaultdict
from pathlib import Path

from locust import FastHttpUser, constant, events, task

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
SAMPLES: dict[str, list[float]] = defaultdict(list)
FAILURES: dict[str, list[str]] = defaultdict(list)
WINDOW = {"first": None, "last": None}


@events.request.add_listener
def collect(name, response_time, exception, **kwargs):
    now = time.time()
    WINDOW["first"] = WINDOW["first"] or now - response_time / 1000
    WINDOW["last"] = now
    if exception:
        FAILURES[name].append(str(exception)[:200])
    else:
        SAMPLES[name].append(response_time)


@events.quitting.add_listener
def write_samples(environment, **kwargs):
    seconds = (WINDOW["last"] or 0) - (WINDOW["first"] or 0)
    Path(os.environ["BENCH_SAMPLES"]).write_text(
        json.dumps({"seconds": seconds, "samples": SAMPLES, "failures": FAILURES})
    )


class Scenario(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    @property
    def as_officer(self) -> dict:
        return {"Authorization": f"Bearer {PLAN['officer_token']}"}

    @property
    def as_superuser(self) -> dict:
        return {"Cookie": f"sessionid={PLAN['superuser_session']}"}

    def referral_body(self) -> str:
        body = dict(PLAN["referral_body"])
        body["subject"] = {**body["subject"], "given_name": random.choice(["Sokha", "Dara"])}
        return json.dumps(body)


class ListFiltered(Scenario):
    """The referral list of one agency, through its permission rows, as its partner system."""

    @task
    def page(self):
        self.client.get(
            "/api/v1/referrals/?limit=50", headers=self.as_officer, name="list_filtered"
        )


class ListUnfiltered(Scenario):
    """The same page for a superuser: no permission filter (the baseline)."""

    @task
    def page(self):
        self.client.get(
            "/api/v1/referrals/?limit=50", headers=self.as_superuser, name="list_unfiltered"
        )


class PortalInbox(Scenario):
    """The same agency's first inbox page in the portal, signed in as one of its officers."""

    @task
    def page(self):
        self.client.get(
            "/cases/",
            headers={"Cookie": f"sessionid={PLAN['officer_session']}"},
            name="portal_inbox",
        )


class ListFloor(Scenario):
    """The agency's page from ``.values()`` and ``JsonResponse`` (the floor)."""

    @task
    def page(self):
        self.client.get(
            f"/bench/floor/referrals/?agency={PLAN['agency']}&limit=50", name="list_floor"
        )


class Detail(Scenario):
    """One of the agency's referrals, picked at random."""

    @task
    def detail(self):
        case_id = random.choice(PLAN["detail_ids"])
        self.client.get(f"/api/v1/referrals/{case_id}/", headers=self.as_officer, name="detail")


class Write(Scenario):
    """Create and send in one request through the services (events, permission rows, audit)."""

    path, name = "/bench/write/services/", "write"

    @task
    def write(self):
        self.client.post(
            self.path,
            data=self.referral_body(),
            headers={**self.as_officer, "Content-Type": "application/json"},
            name=self.name,
        )


class WritePlain(Write):
    """The same case as plain inserts, behind the same authentication and validation."""

    path, name = "/bench/write/plain/", "write_plain"


class WriteApi(Scenario):
    """Create, then send, through the public API: two requests, timed together."""

    @task
    def write(self):
        headers = {**self.as_officer, "Content-Type": "application/json"}
        started = time.perf_counter()
        created = self.client.post(
            "/api/v1/referrals/",
            data=self.referral_body(),
            headers=headers,
            name="write_api.create",
        )
        if created.status_code != 201:
            return
        case_id = json.loads(created.content)["id"]
        sent = self.client.post(
            f"/api/v1/referrals/{case_id}/send/", headers=self.as_officer, name="write_api.send"
        )
        if sent.status_code == 200:
            events.request.fire(
                request_type="POST",
                name="write_api",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=None,
                context={},
            )
