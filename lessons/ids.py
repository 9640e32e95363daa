"""Object ids from text a client sent (a form field, a query parameter, a path segment).

``str.isdigit()`` also accepts superscripts and other Unicode digits (``"²"``), which ``int()``
refuses, and a number past the database's integer range makes some drivers raise (SQLite:
``OverflowError``) instead of finding nothing. Every place that turns a client's text into an
id goes through :func:`id_parse`, so such input names nothing rather than failing.
"""

# Primary keys are 64-bit integers on every database Django supports.
MAX_ID = 2**63 - 1


def id_parse(value) -> int | None:
    """``value`` as an object id: ASCII digits (or an int) from 1 to :data:`MAX_ID`, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        # The length check keeps int() away from thousands of digits (it refuses over 4,300).
        if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_ID else None


def ids_parse(values) -> list[int]:
    """The ids among ``values`` (see :func:`id_parse`), in order; the rest are left out."""
    parsed = (id_parse(value) for value in values)
    return [value for value in parsed if value is not None]
