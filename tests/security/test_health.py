"""`/health/` tells a load balancer whether this process can reach the database and the shared cache."""

from http import HTTPStatus
from unittest import mock

from django.core.cache import cache
from django.db import OperationalError

import pytest

import health

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_cache_answer(client):
    response = client.get("/health/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-store" in response["Cache-Control"]


def test_a_cache_that_loses_what_it_is_given_fails_the_check(client):
    with mock.patch.object(cache, "get", return_value=None):
        response = client.get("/health/")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"] == {"database": "ok", "cache": "failing"}


def test_an_unreachable_database_fails_the_check(client):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with mock.patch.object(health.connection, "cursor", refuse):
        response = client.get("/health/")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "failing", "checks": {"database": "failing", "cache": "ok"}}


def test_only_reads_are_answered(client):
    assert client.post("/health/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
