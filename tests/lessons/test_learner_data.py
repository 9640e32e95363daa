"""The learner-data registry: parts registered by any app are exported and erased together, and
deleting a user erases in the deletion's own transaction."""

import pytest
from django.db import transaction

from lessons.learner_data import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    learner_data_erase,
    learner_data_export,
    learner_data_parts,
    learner_data_register,
    learner_data_unregister,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def notebook():
    """A part of a made-up app that keeps one note per user in a dict."""
    notes = {}

    def export(user):
        return {"note": notes.get(user.pk)}

    def erase(user):
        return {"notes": 1 if notes.pop(user.pk, None) is not None else 0}

    learner_data_register("notebook", export=export, erase=erase, label="Notebook", order=999)
    yield notes
    learner_data_unregister("notebook")


def test_export_names_the_learner_and_carries_every_part(learner, other_learner, notebook):
    # given
    notebook[learner.pk] = "mine"
    notebook[other_learner.pk] = "theirs"
    # when
    data = learner_data_export(user=learner)
    # then
    assert data["format"] == EXPORT_FORMAT and data["version"] == EXPORT_VERSION
    assert data["learner"]["id"] == learner.pk
    assert data["learner"]["username"] == learner.get_username()
    assert data["parts"]["notebook"] == {"note": "mine"}
    assert list(data["parts"]) == [part.name for part in learner_data_parts()]


def test_erase_runs_every_part_and_reports_its_counts(learner, notebook):
    notebook[learner.pk] = "mine"
    counts = learner_data_erase(user=learner)
    assert counts["notebook"] == {"notes": 1}
    assert learner_data_erase(user=learner)["notebook"] == {"notes": 0}  # safe twice


def test_parts_are_listed_in_order_and_a_name_registered_again_replaces_its_part(notebook):
    learner_data_register(
        "notebook", export=lambda user: [], erase=lambda user: {}, label="Notes", order=-1
    )
    parts = learner_data_parts()
    assert parts[0].name == "notebook" and parts[0].label == "Notes"
    assert [part.name for part in parts].count("notebook") == 1


def test_deleting_a_user_erases_their_data_in_the_same_transaction(notebook):
    # given
    user = UserFactory()
    seen = []
    learner_data_register(
        "notebook",
        export=lambda user: {},
        erase=lambda user: seen.append(transaction.get_connection().in_atomic_block) or {},
    )
    # when
    user.delete()
    # then
    assert seen == [True]


def test_a_failing_part_rolls_the_user_deletion_back(notebook):
    # given
    user = UserFactory()

    def erase(user):
        raise RuntimeError("the part could not erase")

    learner_data_register("notebook", export=lambda user: {}, erase=erase)
    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        user.delete()
    # then
    assert type(user).objects.filter(pk=user.pk).exists()
