"""One-row reads compiled once: the session and the user every signed-in request loads.

Django compiles ``Model.objects.get(...)`` into SQL anew on every call. For a one-row read by
key that compiling is most of the read: on the bench machine a signed-in page served from the
page cache spent ~0.7 ms of its ~1.8 ms building the session's and the user's queries, and
~0.05 ms running them (docs/benchmarks.md). :class:`PreparedSelect` compiles the queryset once
per database, with marker values where the call's values go, and then runs that SQL with the
call's values: the same statement the ORM sends (the manager's own filters included), counted
by ``CaptureQueriesContext`` like any other, each row converted by the backend's and the
fields' converters and built with ``Model.from_db``, as the ORM builds it.

Used by ``config.auth_backends`` (the user) and ``config.sessions`` (the session row).
Anything it cannot prepare exactly (a manager that adds annotations or ``select_related``, a
key type without a marker) raises :class:`Unprepared`, and the caller uses the ORM instead.
"""

from __future__ import annotations

import datetime
import threading

from django.db import connections, models, router

_MARKER_INT = -1_987_654_321  # inside every backend's 32-bit range: compiles like any value
_MARKER_TIME = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)


class Unprepared(Exception):
    """The queryset cannot be run as prepared SQL; use the ORM."""


def _marker(field, index: int):
    if isinstance(field, models.DateTimeField):
        return _MARKER_TIME + datetime.timedelta(microseconds=index)
    if isinstance(field, models.IntegerField | models.AutoField):
        return _MARKER_INT - index
    if isinstance(field, models.CharField | models.TextField):
        return f"\u2063stream-marker-{index}"
    raise Unprepared(f"no marker for {type(field).__name__}")


def _db_value(field, value, connection):
    """``value`` as a lookup on ``field`` sends it to the database."""
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


class PreparedSelect:
    """``model``'s default manager filtered by ``lookups`` (``"pk"``, ``"expire_date__gt"``…),
    compiled once for the database ``using``; :meth:`first` runs it with a value per lookup."""

    def __init__(self, model, lookups: list[str], using: str):
        connection = connections[using]
        fields = [
            model._meta.pk
            if name.split("__")[0] == "pk"
            else model._meta.get_field(name.split("__")[0])
            for name in lookups
        ]
        markers = [_marker(field, index) for index, field in enumerate(fields)]
        queryset = model._default_manager.db_manager(using).filter(
            **dict(zip(lookups, markers, strict=True))
        )
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = list(params)
        sent = [
            _db_value(field, marker, connection)
            for field, marker in zip(fields, markers, strict=True)
        ]
        if any(params.count(value) != 1 for value in sent):
            raise Unprepared("a marker is not one parameter of the compiled query")
        names = [field.attname for field in model._meta.concrete_fields]
        selected = [getattr(col, "target", None) for col, _sql, _alias in compiler.select]
        if [getattr(target, "attname", None) for target in selected] != names:
            raise Unprepared("the query selects more or other than the model's own columns")
        self.model = model
        self.using = using
        self.fields = fields
        self.names = names
        self.sql = sql
        self.params = params
        self.slots = [params.index(value) for value in sent]
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])

    def first(self, *values):
        """The first row for ``values`` (one per lookup) as a model instance, or ``None``.
        Values are cleaned as the ORM cleans lookup values: junk raises ``ValidationError``,
        ``ValueError`` or ``TypeError``."""
        connection = connections[self.using]
        params = list(self.params)
        for slot, field, value in zip(self.slots, self.fields, values, strict=True):
            params[slot] = _db_value(field, field.to_python(value), connection)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        return self.model.from_db(self.using, self.names, row)


_prepared: dict = {}
_lock = threading.Lock()


def prepared_select(model, lookups: tuple[str, ...]) -> PreparedSelect:
    """The :class:`PreparedSelect` for ``model`` and ``lookups`` on the database the router
    reads ``model`` from, compiled on first use (raises :class:`Unprepared`)."""
    using = router.db_for_read(model)
    key = (model, lookups, using, connections[using].vendor)
    found = _prepared.get(key)
    if found is None:
        with _lock:
            found = _prepared.get(key)
            if found is None:
                try:
                    found = PreparedSelect(model, list(lookups), using)
                except Unprepared as error:
                    found = error
                _prepared[key] = found
    if isinstance(found, Unprepared):
        raise found
    return found


def forget_prepared() -> None:
    """Drop every compiled query (tests that change databases or models)."""
    _prepared.clear()
