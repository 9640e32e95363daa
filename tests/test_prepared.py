"""The demo's prepared reads of the session and the signed-in user (config/prepared.py): the
same answers as Django's own backends, one query each, on SQLite and on PostgreSQL."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config import prepared
from config.auth_backends import AuthenticationBackend, ModelBackend
from config.sessions.cached_db import SessionStore as CachedSessionStore
from config.sessions.db import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def field_values(user):
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


@pytest.mark.parametrize("backend_class", [ModelBackend, AuthenticationBackend])
def test_the_user_is_the_one_djangos_backend_reads_in_one_query(backend_class):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    user.last_login = timezone.now() - datetime.timedelta(days=3)
    user.save()
    expected = DjangoModelBackend().get_user(user.pk)

    with CaptureQueriesContext(connection) as queries:
        found = backend_class().get_user(str(user.pk))  # the session keeps it as a string

    assert len(queries) == 1
    assert type(found) is get_user_model()
    assert field_values(found) == field_values(expected)
    assert found._state.adding is False and found._state.db == "default"
    assert isinstance(found.last_login, datetime.datetime) and found.last_login.tzinfo
    assert found.is_active is True and found.is_staff is False


def test_a_missing_an_inactive_or_a_junk_user_id_signs_nobody_in():
    backend = ModelBackend()
    inactive = UserFactory(is_active=False)

    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(inactive.pk + 1000) is None
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(None) is None


def test_a_user_read_after_a_change_has_the_change():
    user = UserFactory(email="old@example.com")
    assert ModelBackend().get_user(user.pk).email == "old@example.com"

    get_user_model().objects.filter(pk=user.pk).update(email="new@example.com", is_active=False)

    assert ModelBackend().get_user(user.pk) is None
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    assert ModelBackend().get_user(user.pk).email == "new@example.com"


def test_a_manager_it_cannot_prepare_falls_back_to_the_orm(monkeypatch):
    user = UserFactory()

    def unprepared(model, lookups):
        raise prepared.Unprepared("as a manager with annotations would")

    monkeypatch.setattr("config.auth_backends.prepared_select", unprepared)
    assert field_values(ModelBackend().get_user(user.pk)) == field_values(user)


def test_what_cannot_be_prepared_is_refused_not_guessed():
    class Annotated(models.Manager):
        def get_queryset(self):
            return super().get_queryset().annotate(doubled=models.F("expire_date"))

    with pytest.raises(prepared.Unprepared):
        prepared._marker(models.UUIDField(), 0)
    manager = Annotated()
    manager.model = Session
    manager.name = "annotated"
    original = Session._meta.default_manager
    try:
        Session._meta.__dict__["default_manager"] = manager
        with pytest.raises(prepared.Unprepared):
            prepared.PreparedSelect(Session, ["session_key"], "default")
    finally:
        Session._meta.__dict__["default_manager"] = original


def signed_in_session(store_class, user):
    store = store_class()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["basket"] = ["lesson-1", {"n": 2}]
    store.save()
    return store.session_key


@pytest.mark.parametrize("store_class", [SessionStore, DjangoSessionStore])
def test_a_session_saved_by_either_engine_loads_the_same_in_one_query(store_class):
    key = signed_in_session(store_class, UserFactory())

    with CaptureQueriesContext(connection) as queries:
        ours = dict(SessionStore(key).items())

    assert len(queries) == 1
    assert ours == dict(DjangoSessionStore(key).items())
    assert ours["basket"] == ["lesson-1", {"n": 2}]


def test_an_expired_or_unknown_session_loads_empty_and_gets_a_new_key():
    key = signed_in_session(SessionStore, UserFactory())
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    expired = SessionStore(key)
    assert dict(expired.items()) == {}
    assert expired.session_key is None

    unknown = SessionStore("x" * 32)
    assert dict(unknown.items()) == {}
    assert unknown.session_key is None


def test_a_signed_in_request_costs_the_session_and_the_user(client):
    user = UserFactory()
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session(SessionStore, user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/me/progress/")

    assert response.status_code == 200
    assert response.wsgi_request.user == user
    sql = [query["sql"] for query in queries.captured_queries[:2]]
    assert "django_session" in sql[0] and get_user_model()._meta.db_table in sql[1]


def test_a_changed_password_signs_the_session_out(client):
    user = UserFactory()
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session(SessionStore, user)
    user.set_password("a new password for this test")
    user.save()

    response = client.get("/me/progress/")

    assert response.wsgi_request.user.is_authenticated is False


def test_cached_db_reads_the_row_once_then_the_cache():
    key = signed_in_session(CachedSessionStore, UserFactory())
    caches[settings.SESSION_CACHE_ALIAS].delete(CachedSessionStore.cache_key_prefix + key)

    with CaptureQueriesContext(connection) as queries:
        first = dict(CachedSessionStore(key).items())
    with CaptureQueriesContext(connection) as again:
        second = dict(CachedSessionStore(key).items())

    assert len(queries) == 1 and len(again) == 0
    assert first == second and first["basket"] == ["lesson-1", {"n": 2}]
