import pytest

from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def other_learner(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()
