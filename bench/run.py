"""``make bench``: seed (or reuse) the bench database, serve it, load it, record the results.

Every setting comes from the environment (``BENCH_CASES`` and the others below). The server is
gunicorn on loopback with production-like settings; the load is locust, headless, with a fixed
number of users for a fixed time per scenario.
"""

import base64
import hashlib
import itertools
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from bench.conditions import (
    AGENCIES,
    BASE_URL,
    BENCHMARKS,
    CASES,
    DATABASE,
    LOCUST,
    PORT,
    POSTGRES,
    REDIS_URL,
    RESULTS,
    ROOT,
    ROUNDS,
    RUNS,
    SAMPLE_NAMES,
    SCENARIOS,
    SECONDS,
    USERS,
    WORKERS,
)
from bench.report import git_commit, markdown, ratios, summarise


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


BENCH_KEY = "bench:" + base64.b64encode(hashlib.sha256(b"mekong bench data").digest()).decode()


def server_environment() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Fixed, so that the seeded (sealed) cases open in every later run.
        "ENCRYPTION_KEYS": os.environ.get("BENCH_ENCRYPTION_KEYS", BENCH_KEY),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "API_RATE_LIMIT": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }


def create_database_if_missing() -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not found:
            log(f"creating database {DATABASE}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))


def prepare_data(probes) -> dict:
    """Migrate; reuse the data when seeded at this size, else (re)seed from scratch."""
    from django.core.management import call_command

    from agencies.models import Agency

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    removed = probes.remove_bench_writes()
    if removed:
        log(f"removed {removed:,} cases written by an earlier run")
    seeded = probes.seeded_cases()
    if seeded == CASES and Agency.objects.count() == AGENCIES:
        log(f"reusing {DATABASE}: {seeded:,} seeded cases")
        return {"seeded_now": False, "seed_s": None}
    if seeded or Agency.objects.exists():
        log(f"{DATABASE} holds {seeded:,} seeded cases, not {CASES:,}: recreating it")
        drop_database()
        create_database_if_missing()
        call_command("migrate", verbosity=0)
    log(f"seeding {CASES:,} cases among {AGENCIES} agencies")
    started = time.perf_counter()
    call_command("seed_scale", cases=CASES, agencies=AGENCIES)
    return {"seeded_now": True, "seed_s": round(time.perf_counter() - started, 1)}


def start_server(env: dict) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(60):
        try:
            if httpx.get(f"{BASE_URL}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before it answered /healthz")
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def bearer_token(credentials: dict) -> str:
    response = httpx.post(
        f"{BASE_URL}/o/token/",
        data={"grant_type": "client_credentials", "scope": "referrals:read referrals:write"},
        auth=(credentials["client_id"], credentials["client_secret"]),
    )
    response.raise_for_status()
    return response.json()["access_token"]


def signed_in_session(sign_in_path: str, username: str, password: str, check_path: str) -> str:
    """Sign in on a sign-in form, as a person would; the session cookie, once it opens a page."""
    with httpx.Client(base_url=BASE_URL) as client:
        form = client.get(sign_in_path)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        client.post(
            sign_in_path,
            data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        )
        session = client.cookies.get("sessionid")
        if not session or client.get(check_path).status_code != 200:
            raise SystemExit(f"{username} could not sign in at {sign_in_path}")
    return session


def referral_body(recipient_code: str) -> dict:
    return {
        "recipient_agency": recipient_code,
        "category": "trafficking_victim",
        "exploitation_types": ["forced_criminality"],
        "urgency": "routine",
        "subject": {
            "given_name": "Sokha",
            "family_name": "Chan",
            "sex": "female",
            "birth_date": "1999-03-14",
            "consent": {"status": "given", "scope": ["social_welfare", "ngo"]},
        },
        "summary": "Identified during a raid on a scam compound; wishes to return home.",
        "requested_actions": ["family_tracing", "repatriation"],
        "identified_on": datetime.now(UTC).date().isoformat(),
        "identified_place": "Sa Kaeo",
    }


def run_scenarios(plan_path: Path, workdir: Path) -> dict:
    """Every scenario for ``SECONDS`` seconds in all, in ``ROUNDS`` interleaved rounds.

    Interleaving spreads any change in the machine's other load over all scenarios alike. The
    reads go first: the writes add cases that would be the newest of the measured agency.
    """
    reads = [scenario for scenario in SCENARIOS if not scenario.startswith("Write")]
    writes = [scenario for scenario in SCENARIOS if scenario.startswith("Write")]
    runs = {}
    for group in (reads, writes):
        for number, scenario in itertools.product(range(ROUNDS), group):
            run = run_scenario(scenario, plan_path, workdir, round_number=number)
            merged = runs.setdefault(scenario, {"seconds": 0, "samples": {}, "failures": {}})
            merged["seconds"] += run["seconds"]
            for key in ("samples", "failures"):
                for name, values in run[key].items():
                    merged[key].setdefault(name, []).extend(values)
    return runs


def run_scenario(scenario: str, plan_path: Path, workdir: Path, *, round_number: int) -> dict:
    """One locust run: ``USERS`` users without pause for a round's share of ``SECONDS``."""
    seconds = max(1, SECONDS // ROUNDS)
    samples_path = workdir / f"{scenario}-{round_number}.json"
    log(f"{scenario} (round {round_number + 1}/{ROUNDS}): {USERS} users for {seconds} s")
    done = subprocess.run(  # noqa: S603
        [
            LOCUST,
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            "--run-time",
            f"{seconds}s",
            "--host",
            BASE_URL,
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "10",
            scenario,
        ],
        cwd=ROOT,
        env={**os.environ, "BENCH_PLAN": str(plan_path), "BENCH_SAMPLES": str(samples_path)},
        check=False,
        timeout=seconds + 120,
        capture_output=True,
        text=True,
    )
    if not samples_path.exists():
        raise SystemExit(f"{scenario}: locust wrote no samples\n{done.stderr[-3000:]}")
    return json.loads(samples_path.read_text())


def main() -> None:
    env = server_environment()
    os.environ.update(env)
    create_database_if_missing()

    import django

    django.setup()
    from bench import probes

    results = {"cases": CASES, "agencies": AGENCIES, **prepare_data(probes)}
    ranked = probes.agencies_by_visible_referrals()
    agency, visible = probes.typical_agency(ranked)
    recipient = probes.counterpart_of(agency, ranked)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    credentials = probes.api_client_credentials(agency, f"bench-{stamp}")
    password = secrets.token_urlsafe(24)
    superuser = probes.superuser_with_password(password)
    officer = probes.officer_with_password(agency, password)
    results.update(
        agency=agency.code,
        agency_visible_referrals=visible,
        users=USERS,
        seconds=SECONDS,
        rounds=ROUNDS,
        workers=WORKERS,
    )
    log(f"typical agency {agency.code} sees {visible:,} referrals; writes go to {recipient.code}")

    server = start_server(env)
    try:
        token = bearer_token(credentials)
        plan = {
            "agency": agency.code,
            "officer_token": token,
            "superuser_session": signed_in_session(
                "/admin/login/", superuser.username, password, "/admin/"
            ),
            "officer_session": signed_in_session(
                "/accounts/login/", officer.username, password, "/cases/"
            ),
            "detail_ids": probes.detail_ids(agency),
            "referral_body": referral_body(recipient.code),
        }
        with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
            plan_path = Path(workdir) / "plan.json"
            plan_path.write_text(json.dumps(plan))
            for scenario, run in run_scenarios(plan_path, Path(workdir)).items():
                results.update(summarise(SAMPLE_NAMES[scenario], run))
    finally:
        stop_server(server)

    removed = probes.remove_bench_writes()
    log(f"removed the {removed:,} cases this run wrote")
    counts = probes.list_queries(token)
    results["queries_list_10"] = counts["queries_list_10"]
    results["queries_list_200"] = counts["queries_list_200"]
    results["plan_filtered"] = probes.explain(counts["sql"])
    results["plan_unfiltered"] = probes.explain(probes.unfiltered_sql())
    results["plan_seq_scans"] = probes.sequential_scans(
        results["plan_filtered"] + results["plan_unfiltered"]
    )
    results.update(probes.sweep())
    results["verify_audit_s"] = probes.verify_audit()
    results["table_rows"] = probes.table_rows()
    results["audit_rows"] = results["table_rows"]["exchange.AuditEvent"]
    results["commit"] = git_commit()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["ratios"] = ratios(results)

    RUNS.mkdir(exist_ok=True)
    text = json.dumps(results, indent=2, default=str) + "\n"
    # Other benchmarks (bench/audit_tree.py) keep their figures in the same file.
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**kept, **results}, indent=2, default=str) + "\n")
    (RUNS / f"{CASES}.json").write_text(text)
    if not BENCHMARKS.exists():
        BENCHMARKS.write_text("# Benchmarks\n")
    with BENCHMARKS.open("a") as out:
        out.write(markdown(results))
    log(f"wrote {RESULTS.relative_to(ROOT)} and appended to {BENCHMARKS.name}")
    for label, ratio in results["ratios"].items():
        log(
            f"{label}: {ratio['value']} (limit {ratio['limit']}){'' if ratio['met'] else ' MISSED'}"
        )


if __name__ == "__main__":
    main()
