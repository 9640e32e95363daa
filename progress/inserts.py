"""Many new rows in one ``INSERT``, without a model instance per row.

A sync of 100 events writes about 300 rows (its log, the new completions, their XP), and
``bulk_create`` spends most of that time building a model instance per row and compiling each
value through the query compiler: on SQLite, whose single writer holds the lock for the whole
sync, that was about half of a sync's time. :func:`insert_rows` prepares each value with the
field's own ``get_db_prep_save`` (the same conversion ``bulk_create`` applies: UUIDs, aware
datetimes, foreign keys) and sends one statement per batch the backend allows. It sends no
signals (neither does ``bulk_create``), reads nothing back (no primary keys), and fills
``auto_now_add`` fields itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connections, router
from django.utils import timezone


def insert_rows(model, rows: Iterable[Mapping[str, object]]) -> int:
    """Insert ``rows`` (each a mapping of field name to value) into ``model``'s table; every
    row names the same fields. Returns how many were inserted."""
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    names = list(rows[0])
    given = [meta.get_field(name) for name in names]
    stamped = [
        field
        for field in meta.concrete_fields
        if getattr(field, "auto_now_add", False) and field not in given
    ]
    fields = given + stamped
    connection = connections[router.db_for_write(model)]
    now = [field.get_db_prep_save(timezone.now(), connection) for field in stamped]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(1, connection.ops.bulk_batch_size(fields, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params = []
            for row in chunk:
                params += [
                    field.get_db_prep_save(row[name], connection)
                    for name, field in zip(names, given, strict=True)
                ]
                params += now
            cursor.execute(  # names from the model, quoted; every value a parameter
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([one_row] * len(chunk)),
                params,
            )
    return len(rows)
