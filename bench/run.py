"""``make bench``: seed (or reuse) the bench database, serve it, load it, record the results.

Every setting comes from the environment (``BENCH_CASES`` and the others below). The server is
gunicorn on loopback with production-like settings; the load is locust, headless, with a fixed
number of users for a fixed time per scenario.
"""

import itertools
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
RUNS = ROOT / "bench" / "results"
BENCHMARKS = ROOT / "BENCHMARKS.md"

CASES = int(os.environ.get("BENCH_CASES", 1_000_000))
AGENCIES = int(os.environ.get("BENCH_AGENCIES", 60))
USERS = int(os.environ.get("BENCH_USERS", 2))
SECONDS = int(os.environ.get("BENCH_SECONDS", 20))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 2))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
PORT = int(os.environ.get("BENCH_PORT", 8790))
DATABASE = os.environ.get("BENCH_DATABASE", "mekong_bench")
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SCENARIOS = os.environ.get(
    "BENCH_SCENARIOS", "ListFiltered ListUnfiltered ListFloor Detail Write WritePlain WriteApi"
).split()
BASE_URL = f"http://127.0.0.1:{PORT}"

# Locust user class -> the name its requests are recorded under.
SAMPLE_NAMES = {
    "ListFiltered": "list_filtered",
    "ListUnfiltered": "list_unfiltered",
    "ListFloor": "list_floor",
    "Detail": "detail",
    "Write": "write",
    "WritePlain": "write_plain",
    "WriteApi": "write_api",
}
# (result, numerator, denominator, limit): the targets of DESIGN section 9 and issue 6.
TARGETS = [
    ("filtered / unfiltered list p95", "list_filtered_p95_ms", "list_unfiltered_p95_ms", 1.3),
    ("filtered list / floor p95", "list_filtered_p95_ms", "list_floor_p95_ms", 2.0),
    ("write / plain insert p95", "write_p95_ms", "write_plain_p95_ms", 1.5),
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def server_environment() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
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


def superuser_session(username: str, password: str) -> str:
    """Sign in on the admin login form, as a person would, and keep the session cookie."""
    with httpx.Client(base_url=BASE_URL) as client:
        form = client.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        client.post(
            "/admin/login/?next=/admin/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        )
        session = client.cookies.get("sessionid")
    if not session:
        raise SystemExit("the bench superuser could not sign in")
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
            str(ROOT / ".venv" / "bin" / "locust"),
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


def summarise(name: str, run: dict) -> dict:
    samples = sorted(run["samples"].get(name, []))
    failures = run["failures"].get(name, [])
    if len(samples) < 2:
        raise SystemExit(f"{name}: no successful requests ({failures[:3]})")
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        f"{name}_p50_ms": round(statistics.median(samples), 2),
        f"{name}_p95_ms": round(cuts[94], 2),
        f"{name}_p99_ms": round(cuts[98], 2),
        f"{name}_rps": round(len(samples) / run["seconds"], 1) if run["seconds"] else None,
        f"{name}_requests": len(samples),
        f"{name}_failures": len(failures),
    }


def git_commit() -> str:
    """The commit measured, marked when the work tree has changes on top of it."""

    def git(*args: str) -> str:
        done = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    # The results files change with every run; they are not what is measured.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")


def ratios(results: dict) -> dict:
    found = {}
    for label, numerator, denominator, limit in TARGETS:
        if results.get(numerator) and results.get(denominator):
            value = results[numerator] / results[denominator]
            found[label] = {"value": round(value, 2), "limit": limit, "met": value <= limit}
    smallest = RUNS / "10000.json"
    if CASES > 10_000 and smallest.exists():
        base = json.loads(smallest.read_text())
        for key in ("list_filtered_p95_ms", "list_unfiltered_p95_ms", "detail_p95_ms"):
            if base.get(key) and results.get(key):
                value = results[key] / base[key]
                label = f"{key.removesuffix('_ms')} at {CASES:,} / at 10,000"
                found[label] = {"value": round(value, 2), "limit": 1.5, "met": value <= 1.5}
    if results.get("sweep_s") is not None:
        found["sweep at 1% due (s)"] = {
            "value": round(results["sweep_s"], 4),
            "limit": 1.0,
            "met": results["sweep_s"] < 1,
        }
    if results.get("verify_audit_s") is not None:
        # The target is for a million audit rows; the seeded table holds about five per case.
        per_million = results["verify_audit_s"] * 1_000_000 / results["audit_rows"]
        found["verify_audit per 1,000,000 audit rows (s)"] = {
            "value": round(per_million, 1),
            "limit": 60,
            "met": per_million < 60,
        }
    return found


def markdown(results: dict) -> str:
    """The section this run appends to BENCHMARKS.md."""
    when = results["finished_at"][:16].replace("T", " ")
    lines = [
        "",
        f"## {results['cases']:,} cases, {results['agencies']} agencies: {when} UTC, "
        f"commit {results['commit']}",
        "",
        f"`BENCH_CASES={results['cases']} BENCH_USERS={USERS} BENCH_SECONDS={SECONDS} "
        f"BENCH_ROUNDS={ROUNDS} BENCH_WORKERS={WORKERS} make bench`; "
        f"filtered list of {results['agency']} "
        f"({results['agency_visible_referrals']:,} visible referrals).",
        "",
        "| scenario | p50 ms | p95 ms | p99 ms | req/s | requests | failures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in SAMPLE_NAMES.values():
        if f"{name}_p95_ms" in results:
            lines.append(
                f"| {name} | {results[f'{name}_p50_ms']} | {results[f'{name}_p95_ms']} | "
                f"{results[f'{name}_p99_ms']} | {results[f'{name}_rps']} | "
                f"{results[f'{name}_requests']} | {results[f'{name}_failures']} |"
            )
    audit = results["verify_audit_s"]
    open_cases = sum(kind["open"] for kind in results["open_cases"].values())
    overdue = sum(kind["overdue"] for kind in results["open_cases"].values())
    scans = ", ".join(results["plan_seq_scans"] + results["sweep_seq_scans"]) or "none"
    lines += [
        "",
        f"Queries per list request: {results['queries_list_10']} (limit 10), "
        f"{results['queries_list_200']} (limit 200). Deadline sweep with 1% of the cases due: "
        f"{results['sweep_s']:.2f} s for {sum(results['sweep_due_cases'].values()):,} due cases "
        f"and {results['sweep_reminders']:,} reminders sent. As seeded, {open_cases:,} open "
        f"cases have a running clock ({overdue:,} overdue); a day ahead the sweep sends "
        f"{results['sweep_day_ahead_reminders']:,} reminders in "
        f"{results['sweep_day_ahead_s'] * 1000:.1f} ms. verify_audit: {audit:.1f} s over "
        f"{results['audit_rows']:,} audit rows. "
        f"Sequential scans on case or permission tables: {scans}.",
        "",
        "| target | value | limit | met |",
        "|---|---:|---:|---|",
    ]
    for label, ratio in results["ratios"].items():
        lines.append(
            f"| {label} | {ratio['value']} | {ratio['limit']} | {'yes' if ratio['met'] else 'NO'} |"
        )
    for title, key in (("filtered", "plan_filtered"), ("unfiltered", "plan_unfiltered")):
        lines += [
            "",
            f"<details><summary>EXPLAIN (ANALYZE, BUFFERS): the {title} list page</summary>",
            "",
            "```",
            results[key],
            "```",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


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
            "superuser_session": superuser_session(superuser.username, password),
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
    RESULTS.write_text(text)
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
