"""CSV as an answer to ``?format=csv``: the view streams it; only problems are rendered here."""

import csv
import itertools
import json
from collections.abc import Iterable, Iterator

from rest_framework.renderers import BaseRenderer, JSONRenderer

# Cells a spreadsheet would evaluate as a formula are prefixed with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvStreamRenderer(BaseRenderer):
    """Lets ``?format=csv`` through content negotiation; the CSV itself is streamed."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only problem responses reach a renderer here: they stay JSON.
        return JSONRenderer().render(data, renderer_context=renderer_context)


class _Line:
    def write(self, value):
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    value = str(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_lines(columns: list[str], rows: Iterable[dict], *, batch: int = 500) -> Iterator[str]:
    """A header line, then one line per row (a dict by column), in batches for streaming."""
    writer = csv.writer(_Line())
    yield writer.writerow(columns)
    for chunk in itertools.batched(rows, batch):
        yield "".join(writer.writerow([_cell(row[column]) for column in columns]) for row in chunk)
