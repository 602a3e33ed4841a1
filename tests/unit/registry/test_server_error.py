"""handler500: only a database that cannot be reached becomes a 503."""

import pytest
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.test import RequestFactory

from registry.views import server_error


def _answer(error: Exception, path: str = "/api/v4/projects"):
    try:
        raise error
    except Exception:
        return server_error(RequestFactory().get(path))


@pytest.mark.parametrize("error", [OperationalError("refused"), InterfaceError("closed")])
def test_a_lost_database_is_a_503_to_retry(error):
    response = _answer(error)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"


def test_a_lost_database_behind_another_error_is_a_503_too():
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError as cause:
        wrapped = RuntimeError("while rendering")
        wrapped.__cause__ = cause
    assert _answer(wrapped, "/").status_code == 503


@pytest.mark.parametrize("error", [DataError("too long"), IntegrityError("dup"), KeyError("x")])
def test_other_errors_stay_500s(error):
    response = _answer(error)
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
