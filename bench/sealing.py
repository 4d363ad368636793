"""The cost of sealing personal data at rest: list and detail p95, sealed against plain.

    .venv/bin/python -m bench.sealing --cases 100000 --requests 400 [--save]

Seeds two PostgreSQL databases with the same cases (same seed): ``mekong_bench_sealed_<n>``
as the application writes them, and ``mekong_bench_plain_<n>`` with the key ring's sealing
replaced by the identity in that process only. Then one server process per mode (Django's
test client, one thread) answers the same requests, interleaved one by one: list, then detail,
sealed first on even steps and plain first on odd ones, so that whatever else the machine does
hits both alike. Each process times its own requests: wall time, and its CPU time, which is
where sealing costs and which the machine's other load barely moves. Besides the p95 and
median of each mode, the median of the ratios of the pairs (sealed / plain of the same step).
``--save`` merges the figures into bench/results.json under ``sealing_*`` keys.
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from bench import run
from bench.conditions import RESULTS
from bench.report import git_commit

MODES = ("sealed", "plain")
KINDS = ("list", "detail")
AGENCIES = 20


def unsealed() -> None:
    """The plain baseline: the key ring's text sealing becomes the identity in this process."""
    from agencies import keyring

    keyring.seal_text = lambda value, *, context: value
    keyring.open_text = lambda value, *, context: value


def environment(mode: str, cases: int) -> dict:
    env = run.server_environment()
    env["DATABASE_URL"] = f"{run.POSTGRES}/mekong_bench_{mode}_{cases}"
    return env


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def _django(mode: str) -> None:
    if mode == "plain":
        unsealed()
    import django

    django.setup()


def seed(mode: str, cases: int) -> None:
    """In a child: migrate, and seed the cases if the database holds fewer."""
    _django(mode)
    from django.core.management import call_command

    from bench import probes

    call_command("migrate", verbosity=0)
    if probes.seeded_cases() < cases:
        started = time.monotonic()
        call_command("seed_scale", cases=cases, agencies=AGENCIES)
        print(f"seeded {mode} in {time.monotonic() - started:.0f} s", file=sys.stderr)


def serve(mode: str, requests: int) -> None:
    """In a child: answer ``list`` and ``detail <i>`` lines from stdin with one JSON line each,
    the request's wall and CPU time in ms, timed in this process."""
    _django(mode)
    from django.test import Client

    from bench import probes

    agency, visible = probes.typical_agency(probes.agencies_by_visible_referrals())
    credentials = probes.api_client_credentials(agency, f"sealing-{time.time_ns()}")
    token = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "referrals:read"},
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(
            f"{credentials['client_id']}:{credentials['client_secret']}".encode()
        ).decode(),
    )
    partner = Client(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    # The same cases in both databases (the seed's ids are the same): a spread of the visible.
    ids = sorted(probes.detail_ids(agency, visible))
    ids = ids[:: max(1, len(ids) // max(1, requests))][: max(1, requests)]
    print(json.dumps({"agency": agency.code, "visible": visible, "ids": ids}), flush=True)
    for line in sys.stdin:
        kind, _, index = line.strip().partition(" ")
        url = (
            "/api/v1/referrals/?limit=50"
            if kind == "list"
            else f"/api/v1/referrals/{ids[int(index) % len(ids)]}/"
        )
        started, cpu = time.perf_counter(), time.process_time()
        response = partner.get(url)
        wall = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:200]!r}")
        print(json.dumps({"wall": wall, "cpu": cpu}), flush=True)


class Server:
    """A child process serving one mode's requests over a pipe."""

    def __init__(self, mode: str, cases: int, requests: int):
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.sealing", "--serve", mode, *_sizes(cases, requests)],
            env=environment(mode, cases),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ready = json.loads(self.process.stdout.readline())

    def ask(self, line: str) -> dict:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit(f"the {line!r} request failed in its server")
        return json.loads(answer)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def measure(cases: int, requests: int, warmup: int) -> dict:
    servers = {mode: Server(mode, cases, requests) for mode in MODES}
    sealed, plain = (servers[mode].ready for mode in MODES)
    if (sealed["agency"], sealed["ids"]) != (plain["agency"], plain["ids"]):
        raise SystemExit("the two databases differ: seed them again")
    timings = {
        (mode, kind, clock): [] for mode in MODES for kind in KINDS for clock in ("wall", "cpu")
    }
    load_before = os.getloadavg()
    started = time.monotonic()
    try:
        for step in range(warmup + requests):
            order = MODES if step % 2 == 0 else MODES[::-1]
            for kind in KINDS:
                for mode in order:
                    answer = servers[mode].ask(kind if kind == "list" else f"detail {step}")
                    if step >= warmup:  # the first requests warm the caches
                        for clock in ("wall", "cpu"):
                            timings[(mode, kind, clock)].append(answer[clock])
    finally:
        for server in servers.values():
            server.close()
    figures = {
        "sealing_cases": cases,
        "sealing_requests": requests,
        "sealing_agency": sealed["agency"],
        "sealing_agency_visible_referrals": sealed["visible"],
        "sealing_load_average": [round(v, 1) for v in (*load_before, *os.getloadavg()[:1])],
        "sealing_seconds": round(time.monotonic() - started),
    }
    for kind in KINDS:
        for clock in ("wall", "cpu"):
            for mode in MODES:
                values = timings[(mode, kind, clock)]
                figures[f"sealing_{kind}_{clock}_{mode}_p95_ms"] = percentile(values, 0.95)
                figures[f"sealing_{kind}_{clock}_{mode}_median_ms"] = round(
                    statistics.median(values), 2
                )
            for stat in ("p95", "median"):
                figures[f"sealing_{kind}_{clock}_{stat}_ratio"] = round(
                    figures[f"sealing_{kind}_{clock}_sealed_{stat}_ms"]
                    / figures[f"sealing_{kind}_{clock}_plain_{stat}_ms"],
                    3,
                )
            # Each sealed request against the plain one of the same step: load spikes that hit
            # one request of a pair do not move the median of the pairs.
            pairs = zip(
                timings[("sealed", kind, clock)], timings[("plain", kind, clock)], strict=True
            )
            figures[f"sealing_{kind}_{clock}_paired_median_ratio"] = round(
                statistics.median(sealed / plain for sealed, plain in pairs), 3
            )
    figures["sealing_finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--save", action="store_true", help="merge into bench/results.json")
    parser.add_argument("--seed", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        return seed(args.seed, args.cases)
    if args.serve:
        return serve(args.serve, args.requests)
    for mode in MODES:
        _create_database(f"mekong_bench_{mode}_{args.cases}")
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.sealing", "--seed", mode, *_sizes(args.cases, 0)],
            env=environment(mode, args.cases),
            check=True,
        )
    figures = measure(args.cases, args.requests, args.warmup)
    figures["sealing_commit"] = git_commit()
    print(json.dumps(figures, indent=2))
    if args.save:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        RESULTS.write_text(json.dumps({**results, **figures}, indent=2, default=str) + "\n")


def _create_database(name: str) -> None:
    with psycopg.connect(f"{run.POSTGRES}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _sizes(cases: int, requests: int) -> list[str]:
    return ["--cases", str(cases), "--requests", str(requests)]


if __name__ == "__main__":
    main()
