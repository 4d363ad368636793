"""Named gap-free counters: sequences handed out in commit order."""

from django.db import connection, transaction

from .models import Counter


def counter_next(name: str, count: int = 1) -> int:
    """Advance a named counter by ``count`` and return its new value (the last one taken).

    The row stays locked until the surrounding transaction ends, so values are handed out in
    commit order and never twice. Call it late in a transaction to keep the lock short.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("counter_next must run inside a transaction.")
    sql = f"UPDATE {Counter._meta.db_table} SET value = value + %s WHERE name = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, name])
        row = cursor.fetchone()
        if row is None:
            Counter.objects.get_or_create(name=name)
            cursor.execute(sql, [count, name])
            row = cursor.fetchone()
    return row[0]
