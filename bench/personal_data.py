"""The life of personal data at scale: statistics, the retention sweep, the person's record.

Seeds ``--cases`` sent cases straight into a bench database (flushed first: its name must
contain "bench"), ``--due`` of them ended more than their agreement's retention period ago,
then measures the anonymised statistics, the retention query's plan and the sweep, and the
rendering of one record as a PDF.

    .venv/bin/python bench/personal_data.py --cases 10000 --due 500
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(function, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3), result


def _seed(cases: int, due: int) -> None:
    from django.contrib.auth import get_user_model

    from agencies.models import Agreement
    from agencies.services import agency_create
    from referrals.models import ReferralNotice, ReturnRequest, Subject

    rng = random.Random(2026)
    for pair in (("KH", "TH"), ("KH", "VN"), ("TH", "VN")):
        Agreement.objects.create(country_a=pair[0], country_b=pair[1], retention_years=5)
    agencies = [
        agency_create(actor=None, code=code, name=code, country=code[:2], kind="social_welfare")
        for code in ("KH-MOSVY", "TH-MSDHS", "VN-MOH")
    ]
    author = get_user_model().objects.create(username="bench-author")
    now = datetime.now(UTC)
    subjects = Subject.objects.bulk_create(
        Subject(
            given_name=f"Person {i}",
            family_name="Bench",
            aliases=[f"P{i}"],
            sex=rng.choice(["female", "female", "male", "unknown"]),
            birth_date=date(rng.randint(1970, 2012), rng.randint(1, 12), 1),
            home_address={"province": "Banteay Meanchey", "village": "Kbal Spean"},
        )
        for i in range(cases)
    )
    referrals, returns = [], []
    for i, subject in enumerate(subjects):
        sender, recipient = rng.sample(agencies, 2)
        sent = now - timedelta(days=rng.randint(30, 365 * 4))
        ended = now - timedelta(days=365 * 6) if i < due else None
        common = {
            "sender_agency": sender,
            "recipient_agency": recipient,
            "subject": subject,
            "created_by": author,
            "ended_at": ended,
        }
        if rng.random() < 0.7:
            referrals.append(
                ReferralNotice(
                    **common,
                    category=rng.choice(["trafficking_victim", "presumed_victim"]),
                    exploitation_types=rng.sample(["sexual", "forced_labour", "fishing"], 1),
                    identified_on=sent.date(),
                    status="closed" if ended else rng.choice(["sent", "accepted", "closed"]),
                    sent_at=sent,
                    summary="Identified at a scam compound.",
                )
            )
        else:
            returns.append(
                ReturnRequest(
                    **common,
                    basis="victim_repatriation",
                    status="handed_over" if ended else "requested",
                    requested_at=sent,
                )
            )
    ReferralNotice.objects.bulk_create(referrals, batch_size=2000)
    ReturnRequest.objects.bulk_create(returns, batch_size=2000)


def run(*, cases: int, due: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from agencies.authentication import Caller
    from agencies.roles import Role
    from agencies.services import member_create
    from referrals.models import ReferralNotice
    from referrals.record_pdf import subject_record_pdf
    from referrals.services import retention_sweep
    from referrals.services.retention import retention_due
    from referrals.statistics import statistics_report
    from referrals.subject_record import subject_record

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    _seed(cases, due)
    figures = {"cases": cases, "due": due}

    seconds, report = _timed(lambda: statistics_report(reach=None))
    cells = [c for t in report["tables"] for row in t["rows"] for c in row["counts"].values()]
    figures["statistics_seconds"] = seconds
    figures["statistics_cells"] = len(cells)
    figures["statistics_withheld"] = sum(count is None for count in cells)

    now = datetime.now(UTC)
    sql, params = retention_due(ReferralNotice, now=now).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    figures["retention_query_uses_index"] = "referral_retention_idx" in plan
    start = time.perf_counter()
    figures["retention_redacted"] = retention_sweep(now=now)
    figures["retention_sweep_seconds"] = round(time.perf_counter() - start, 3)
    figures["retention_second_run"] = retention_sweep(now=now)

    referral = (
        ReferralNotice.objects.select_related("sender_agency", "recipient_agency", "subject")
        .filter(redacted_at__isnull=True)
        .first()
    )
    user = member_create(
        actor=None, agency=referral.sender_agency, username="bench-officer", role=Role.OFFICER
    ).user
    caller = Caller(user=user, membership=user.membership)
    record = subject_record(referral, caller=caller)
    for language in ("km", "th"):
        referral.sender_agency.language = language
        seconds, pdf = _timed(lambda: subject_record_pdf(record, agency=referral.sender_agency))
        figures[f"record_pdf_{language}_seconds"] = seconds
        figures[f"record_pdf_{language}_bytes"] = len(pdf)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mekong_bench_personal_data"
        ),
    )
    args = parser.parse_args()
    from bench.delivery_throughput import _create_database, _environment

    _environment(args.database_url, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"))
    _create_database(args.database_url)
    print(json.dumps(run(cases=args.cases, due=args.due), indent=2))


if __name__ == "__main__":
    main()
