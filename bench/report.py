"""The bench's results: figures per scenario, the ratios to their targets, BENCHMARKS.md."""

import json
import statistics
import subprocess

from bench.conditions import (
    CASES,
    ROOT,
    ROUNDS,
    RUNS,
    SAMPLE_NAMES,
    SECONDS,
    SWEEP_LIMIT_S,
    TARGETS,
    USERS,
    WORKERS,
)


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
            "limit": SWEEP_LIMIT_S,
            "met": results["sweep_s"] < SWEEP_LIMIT_S,
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
        f"{results['sweep_day_ahead_s'] * 1000:.1f} ms. With as many due cases as 1% of a "
        f"million ({sum(results['sweep_burst_due_cases'].values()):,}): "
        f"{results['sweep_burst_s']:.2f} s for {results['sweep_burst_reminders']:,} reminders. "
        f"verify_audit: {audit:.1f} s over "
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
