"""Anonymised statistics for oversight and IOM reporting: counts by year, k = 11 suppression."""

from collections import Counter
from datetime import date

from agencies.selectors import audit_reach, parties_in_reach
from exchange.audit import audit_record

from .models import ExploitationType, ReferralCategory, ReferralNotice, ReturnRequest, Sex
from .suppression import TOTAL, Table, suppress, with_totals

K = 11  # CTDC's threshold: no published count from 1 to 10.
NOT_APPLICABLE = "not_applicable"
UNKNOWN = "unknown"
# CTDC's ageBroad bands (the age when identified or, for a return, when requested).
AGE_BANDS = [(0, 8), (9, 17), (18, 20), (21, 23), (24, 26), (27, 29), (30, 38), (39, 47)]
AGE_BAND_NAMES = [f"{low}-{high}" for low, high in AGE_BANDS] + ["48+", UNKNOWN]
OUTCOMES = ["open", "accepted", "closed", "rejected", "withdrawn", "handed_over", "cancelled"]
OPEN_STATUSES = {"sent", "acknowledged", "requested", "verified", "scheduled"}

# Each published dimension, its HTCDS 2.0 field (or CTDC variable) where one exists.
HTCDS_FIELDS = {
    "year": "cas_IncomingReferralDate (year)",
    "country_pair": "org_ShippingCountry of cas_ReferringOrganisation - cas_ReferredOrganisation",
    "case_kind": "",
    "category": "",
    "exploitation_type": "vic_TypeOfLabourExploitation / vic_TypeOfSexExploitation (CTDC "
    "typeOfExploitConcatenated)",
    "sex": "prs_Gender",
    "age_band": "prs_Birthdate, as CTDC ageBroad",
    "outcome": "cas_Status",
}
DIMENSIONS = [name for name in HTCDS_FIELDS if name != "year"]


def age_band(age: int | None) -> str:
    if age is None or age < 0:
        return UNKNOWN
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "48+"


def _outcome(status: str) -> str:
    return "open" if status in OPEN_STATUSES else status


def _case_rows(reach: dict | None, years: tuple[int | None, int | None]):
    """One tuple of categories per sent case in scope: (year, dimensions..., exploitation)."""
    subject = [
        "subject__sex",
        "subject__birth_date",
        "subject__birth_year",
        "subject__age_estimate",
    ]
    sources = [
        (ReferralNotice, "sent_at", ["category", "exploitation_types", "identified_on"]),
        (ReturnRequest, "requested_at", []),
    ]
    for model, sent, extra in sources:
        cases = model.objects.filter(
            parties_in_reach(reach, "sender_agency", "recipient_agency"),
            **{f"{sent}__isnull": False},
        )
        if years[0]:
            cases = cases.filter(**{f"{sent}__year__gte": years[0]})
        if years[1]:
            cases = cases.filter(**{f"{sent}__year__lte": years[1]})
        columns = [sent, "sender_agency__country", "recipient_agency__country", "status"]
        for values in cases.values_list(*columns, *subject, *extra).iterator(chunk_size=2000):
            sent_at, origin, destination, status, sex, born, born_year, estimate = values[:8]
            if model is ReferralNotice:
                category, exploitation, on = values[8:]
                kind = "referral"
            else:
                category, exploitation, on, kind = NOT_APPLICABLE, None, sent_at.date(), "return"
            yield {
                "year": sent_at.year,
                "country_pair": f"{origin}-{destination}",
                "case_kind": kind,
                "category": category,
                "sex": sex or UNKNOWN,
                "age_band": age_band(_age(on, born, born_year, estimate)),
                "outcome": _outcome(status),
                "exploitation_type": [NOT_APPLICABLE]
                if kind == "return"
                else (exploitation or [UNKNOWN]),
            }


def _age(on: date, born: date | None, born_year: int | None, estimate: int | None):
    if born:
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if born_year:
        return on.year - born_year
    return estimate


def _columns(name: str, seen: set) -> list[str]:
    known = {
        "country_pair": sorted(seen),
        "case_kind": ["referral", "return"],
        "category": [*ReferralCategory.values, NOT_APPLICABLE],
        "exploitation_type": [*ExploitationType.values, UNKNOWN, NOT_APPLICABLE],
        "sex": Sex.values,
        "age_band": AGE_BAND_NAMES,
        "outcome": OUTCOMES,
    }[name]
    return known + sorted(seen - set(known))


def statistics_tables(*, reach: dict | None, years=(None, None)) -> list[Table]:
    """Year by each dimension, with totals; exploitation types count mentions (a case may
    have several), so that table has its own row totals."""
    counts = {name: Counter() for name in DIMENSIONS}
    seen_years = set()
    for case in _case_rows(reach, years):
        seen_years.add(case["year"])
        for name in DIMENSIONS:
            if name == "exploitation_type":
                for value in case[name]:
                    counts[name][(case["year"], value)] += 1
            else:
                counts[name][(case["year"], case[name])] += 1
    rows = sorted(seen_years)
    # Returns have no category and no exploitation type: those columns count the returns.
    returns = {NOT_APPLICABLE: ("case_kind", "return")}
    return [
        with_totals(
            name,
            "mentions" if name == "exploitation_type" else "cases",
            rows,
            _columns(name, {value for _, value in counts[name]}),
            counts[name],
            same_as=returns if name in ("category", "exploitation_type") else None,
        )
        for name in DIMENSIONS
    ]


def statistics_report(*, reach: dict | None, years=(None, None)) -> dict:
    """The published tables: every count below ``K`` and every count derivable from the
    others withheld (``null``)."""
    tables = statistics_tables(reach=reach, years=years)
    withheld = suppress(tables, K)
    published = []
    for table in tables:
        published.append(
            {
                "dimension": table.name,
                "htcds_field": HTCDS_FIELDS[table.name] or None,
                "counts": table.margin,
                "columns": [*table.columns, TOTAL],
                "rows": [
                    {
                        "year": row,
                        "counts": {
                            column: None
                            if table.key(row, column) in withheld
                            else table.counts[(row, column)]
                            for column in [*table.columns, TOTAL]
                        },
                    }
                    for row in [*table.rows, TOTAL]
                ],
            }
        )
    return {"k": K, "country": (reach or {}).get("country"), "tables": published}


def statistics_read(*, actor, years=(None, None)) -> dict:
    """The published tables within the actor's audit scope; the reading is audited."""
    reach = audit_reach(actor.agency)
    audit_record(
        actor=actor,
        action="statistics.read",
        object_type="statistics",
        detail={"from": years[0], "to": years[1], "reach": reach},
    )
    return statistics_report(reach=reach, years=years)


STATISTICS_COLUMNS = ["dimension", "htcds_field", "year", "value", "count", "suppressed"]


def statistics_csv_rows(report: dict):
    for table in report["tables"]:
        for row in table["rows"]:
            for value, count in row["counts"].items():
                yield {
                    "dimension": table["dimension"],
                    "htcds_field": table["htcds_field"] or "",
                    "year": row["year"],
                    "value": value,
                    "count": count,
                    "suppressed": count is None,
                }
