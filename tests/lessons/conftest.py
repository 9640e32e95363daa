# The learning record store the xAPI tests send statements to (tests/lrs.py).
from tests.lrs import lrs_mark, ralph, xapi_lrs  # noqa: F401


def pytest_collection_modifyitems(items):
    lrs_mark(items)
