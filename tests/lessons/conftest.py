# The learning record store the xAPI tests send statements to (tests/lrs.py).
from tests.lrs import ralph, xapi_lrs  # noqa: F401
