"""The cost of sealing personal data at rest: list and detail p95, sealed against plain.

    .venv/bin/python -m bench.sealing --cases 10000 --rounds 2

Seeds two PostgreSQL databases with the same cases (same seed): ``mekong_bench_sealed_<n>``
as the application writes them, and ``mekong_bench_plain_<n>`` with the key ring's sealing
replaced by the identity in that process only. Each round measures both, one child process
each (through Django's test client, one thread), so the machine's other load hits both alike.
Wall time includes PostgreSQL and the machine's other load; the process's CPU time per request
(``*_cpu_*``) is where sealing costs, and is steadier on a shared machine.
"""

import argparse
import base64
import json
import statistics
import subprocess
import sys
import time

import psycopg
from psycopg import sql

from bench import run

MODES = ("sealed", "plain")


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


def measure(mode: str, cases: int, requests: int) -> dict:
    """In the child: seed if needed, then time the list and the detail of one typical agency."""
    if mode == "plain":
        unsealed()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench import probes

    call_command("migrate", verbosity=0)
    if probes.seeded_cases() < cases:
        call_command("seed_scale", cases=cases, agencies=20)
    ranked = probes.agencies_by_visible_referrals()
    agency, visible = probes.typical_agency(ranked)
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
    ids = probes.detail_ids(agency, requests)
    timings = {name: [] for name in ("list", "detail", "list_cpu", "detail_cpu")}
    for index in range(requests + 20):
        for name, url in (
            ("list", "/api/v1/referrals/?limit=50"),
            ("detail", f"/api/v1/referrals/{ids[index % len(ids)]}/"),
        ):
            started, cpu = time.perf_counter(), time.process_time()
            response = partner.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code} {response.content[:200]!r}")
            if index >= 20:  # the first requests warm the caches
                timings[name].append(elapsed)
                timings[f"{name}_cpu"].append(cpu)
    return {
        "mode": mode,
        "agency": agency.code,
        "visible_referrals": visible,
        **{f"{name}_p95_ms": percentile(values, 0.95) for name, values in timings.items()},
        **{f"{name}_median_ms": round(statistics.median(v), 2) for name, v in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mode", choices=MODES)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode, args.cases, args.requests)))
        return
    results = {mode: [] for mode in MODES}
    for mode in MODES:
        _create_database(f"mekong_bench_{mode}_{args.cases}")
    for _ in range(args.rounds):
        for mode in MODES:
            child = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "bench.sealing", "--mode", mode, *_passed(args)],
                env=environment(mode, args.cases),
                check=True,
                capture_output=True,
                text=True,
            )
            results[mode].append(json.loads(child.stdout.strip().splitlines()[-1]))
    summary = {"cases": args.cases, "requests": args.requests, "rounds": results}
    for name in ("list_p95_ms", "detail_p95_ms", "list_cpu_p95_ms", "detail_cpu_p95_ms"):
        sealed = statistics.median(r[name] for r in results["sealed"])
        plain = statistics.median(r[name] for r in results["plain"])
        summary[f"{name.removesuffix('_ms')}_ratio"] = round(sealed / plain, 3)
    json.dump(summary, sys.stdout, indent=2)
    print()


def _create_database(name: str) -> None:
    with psycopg.connect(f"{run.POSTGRES}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _passed(args) -> list[str]:
    return ["--cases", str(args.cases), "--requests", str(args.requests)]


if __name__ == "__main__":
    main()
