"""Rows by table for one batch, streamed into PostgreSQL with COPY."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, models
from psycopg.types.json import Jsonb

from agencies.fields import SealedField

MUST_BE_GIVEN = object()


@dataclass
class Batch:
    """The rows of one batch, by model, in insertion order; keys are field attnames."""

    rows: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, model: type[models.Model], **row) -> None:
        self.rows[model].append(row)


class CopyWriter:
    """Writes dict rows into one model's table; absent keys take the field's default."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        # A database-numbered key is left to the database, but for audit rows: their parties
        # name them, so the seeder numbers them and moves the sequence past them afterwards.
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField) and f.name != "sequence")
        ]
        self.names = [f.attname for f in fields]
        self.spec = [(f.attname, _default(f), _adapter(f)) for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        self.sql = f"COPY {table} ({columns}) FROM STDIN"

    def write(self, rows: list[dict]) -> None:
        unknown = set().union(*rows) - set(self.names)
        if unknown:
            raise KeyError(f"{self.model.__name__} has no fields {sorted(unknown)}")
        with connection.cursor() as cursor, cursor.copy(self.sql) as copy:
            for row in rows:
                values = []
                for name, default, adapt in self.spec:
                    value = row.get(name, default)
                    if value is MUST_BE_GIVEN:
                        raise KeyError(f"{self.model.__name__}.{name} must be given")
                    values.append(adapt(value) if adapt and value is not None else value)
                copy.write_row(values)


def _adapter(f: models.Field):
    """Sealed fields are sealed as the ORM would; JSON goes as jsonb."""
    if isinstance(f, SealedField):
        return lambda value: f.get_db_prep_value(value, connection)
    return Jsonb if isinstance(f, models.JSONField) else None


def _default(f: models.Field):
    # A generated default (a new id, the current time) would be the same on every row.
    if f.has_default() and callable(f.default) and f.default not in (list, dict):
        return MUST_BE_GIVEN
    return f.get_default()


def write_batch(batch: Batch, writers: dict) -> None:
    """Write every table of ``batch``, reusing (and filling) ``writers`` by model."""
    for model, rows in batch.rows.items():
        if rows:
            if model not in writers:
                writers[model] = CopyWriter(model)
            writers[model].write(rows)
