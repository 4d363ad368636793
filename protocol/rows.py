"""Many rows of one model written by one INSERT ... SELECT FROM unnest(...), without instances.

For the bulk writes of a request or a sweep (events, their audience, deliveries, reminders):
``bulk_create`` builds a model instance per row and prepares every value through its field,
which for thousands of rows costs more than the database does to store them.
"""

import uuid
from collections.abc import Sequence

import psycopg
from django.db import connection, models
from django.db.models.sql import InsertQuery
from django.utils import timezone
from uuid_utils.compat import uuid7


def appended_id() -> uuid.UUID:
    """The key of a row appended in time order (an event, a delivery): a UUIDv7 (RFC 9562).

    Its first 48 bits are the time in milliseconds and the other 74 random, so new keys land
    together at the end of the key's index. With random keys, at millions of rows each new row
    dirtied (and wrote to the log) an index page of its own: the deadline sweep spent most of
    its time there.
    """
    return uuid7()


def rows_insert_sql(model: type[models.Model], rows: Sequence[dict]) -> tuple[str, list]:
    """The statement that inserts ``rows`` (field name -> value) and its parameters.

    Every concrete field but an auto-incremented key is written. A field a row leaves out takes
    its default (a callable one is called per row, so each row gets its own id); ``auto_now``
    fields take the time of the statement. JSON values are adapted by their field; the others
    go to the driver as they are (uuid, str, int, bool, datetime, None). A column with one
    value in every row (a state, a time, a null) is sent once, not as an array of copies.
    """
    now = timezone.now()
    columns, selected, scalars, varying, arrays = [], [], [], [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField):
            continue  # numbered by the database
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            values = [row.get(field.attname, now) for row in rows]
        elif field.has_default() and callable(field.default):
            values = [
                row[field.attname] if field.attname in row else field.default() for row in rows
            ]
        else:
            default = field.get_default()
            values = [row.get(field.attname, default) for row in rows]
        column, db_type = connection.ops.quote_name(field.column), field.db_type(connection)
        columns.append(column)
        if isinstance(field, models.JSONField):
            values = [field.get_db_prep_save(value, connection) for value in values]
        elif all(value == values[0] for value in values):
            selected.append(f"%b::{db_type}")
            scalars.append(values[0])
            continue
        selected.append(f"u.{column}")
        varying.append((column, db_type))
        arrays.append(values)
    source = (
        f"unnest({', '.join(f'%b::{db_type}[]' for _, db_type in varying)}) "
        f"AS u ({', '.join(column for column, _ in varying)})"
        if varying
        else "generate_series(1, %b::integer)"
    )
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {source}"
    )
    return sql, [*scalars, *(arrays or [len(rows)])]


def rows_insert(*batches: tuple[type[models.Model], Sequence[dict]]) -> None:
    """Insert each (model, rows) batch, all in one statement; batches without rows are left out.

    The earlier inserts ride on the last as data-modifying CTEs: one round trip in all. Foreign
    keys between the batches hold: Django declares them deferred, checked at commit.
    """
    if connection.vendor != "postgresql":
        for model, rows in batches:
            model.objects.bulk_create([model(**row) for row in rows])
        return
    statements = [rows_insert_sql(model, rows) for model, rows in batches if rows]
    if not statements:
        return
    with _binary_cursor() as cursor:
        cursor.execute(*_chained(statements))


def _chained(statements: Sequence[tuple[str, list]]) -> tuple[str, list]:
    """One statement of several: the earlier ride on the last as data-modifying CTEs."""
    *first, (last_sql, last_params) = statements
    ctes = [f"w{number} AS ({sql})" for number, (sql, _) in enumerate(first)]
    sql = (f"WITH {', '.join(ctes)} " if ctes else "") + last_sql
    params = [param for _, statement_params in first for param in statement_params]
    return sql, [*params, *last_params]


def objects_insert(*batches: Sequence[models.Model]) -> None:
    """Insert new instances, each batch of one model, in one statement, as ``save()`` would.

    Django's insert compiler prepares every value (defaults, ``auto_now``, sealed fields); no
    signals are sent and a database-numbered key is not read back. The earlier batches ride on
    the last as data-modifying CTEs, their foreign keys checked at commit (``rows_insert``).
    """
    batches = [objs for objs in batches if objs]
    if connection.vendor != "postgresql":
        for objs in batches:
            type(objs[0]).objects.bulk_create(objs)
        return
    statements = []
    for objs in batches:
        fields = [
            field
            for field in objs[0]._meta.concrete_fields
            if not (field.primary_key and field.db_returning and objs[0].pk is None)
        ]
        query = InsertQuery(type(objs[0]))
        query.insert_values(fields, objs)
        [statement] = query.get_compiler(connection=connection).as_sql()
        statements.append(statement)
    with connection.cursor() as cursor:
        cursor.execute(*_chained(statements))
    for objs in batches:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = connection.alias


def rows_insert_new(
    model: type[models.Model], rows: Sequence[dict], *, unique: Sequence[str]
) -> set[tuple]:
    """Insert the rows whose ``unique`` fields no stored row holds; returns those rows' values
    of the ``unique`` fields.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: the unique constraint decides, so of two
    writers of one row only one writes it, and no read of the table comes before.
    """
    if not rows:
        return set()
    if connection.vendor != "postgresql":
        new = set()
        for row in rows:
            key = tuple(row[name] for name in unique)
            _, created = model.objects.get_or_create(
                **dict(zip(unique, key, strict=True)),
                defaults={name: value for name, value in row.items() if name not in unique},
            )
            if created:
                new.add(key)
        return new
    sql, params = rows_insert_sql(model, rows)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in unique)
    with _binary_cursor() as cursor:
        cursor.execute(f"{sql} ON CONFLICT ({columns}) DO NOTHING RETURNING {columns}", params)
        return set(cursor.fetchall())


def rows_update(model: type[models.Model], field_name: str, values: dict) -> None:
    """Set one field of many rows (primary key -> value) in one UPDATE ... FROM unnest(...).

    ``bulk_update`` builds a CASE with a branch per row and binds every value into the text of
    the statement; here the keys and values go as two binary arrays.
    """
    if not values:
        return
    if connection.vendor != "postgresql":
        for pk, value in values.items():
            model.objects.filter(pk=pk).update(**{field_name: value})
        return
    field, pk = model._meta.get_field(field_name), model._meta.pk
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {quote(field.column)} = v.value "  # noqa: S608
        f"FROM unnest(%b::{pk.db_type(connection)}[], %b::{field.db_type(connection)}[]) "
        f"AS v (pk, value) WHERE t.{quote(pk.column)} = v.pk"
    )
    with _binary_cursor() as cursor:
        cursor.execute(sql, [list(values), list(values.values())])


def _binary_cursor():
    """A cursor that sends the arrays apart from the SQL, not quoted in it.

    Quoting thousands of values into the text of the statement (the client-side binding Django
    uses) cost more than the insert itself; the arrays go in binary (``%b``), which spares the
    escaping of every string. The cursor is wrapped as Django wraps its own, so the statement is
    counted and logged like any other.
    """
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
