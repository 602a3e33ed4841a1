"""schemathesis against /api/v4/openapi.json: every operation, a few generated requests each,
as an admin with a token. No answer may be a 5xx, and every answer must be one the document
describes (status code, content type and body schema).

Bounded and repeatable: a fixed number of examples per operation, derandomized, so the run is
the same each time and stays short on two shared cores. In-process through Django's WSGI
handler, on the test database (rolled back afterwards).
"""

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.ui_fixtures import make_package

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CONFIG = SchemathesisConfig.from_dict({
    # The examples and fuzzing phases; the coverage phase's exhaustive edge cases per
    # parameter would multiply the run by the number of parameters.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Django's WSGI handler closes the database connection after each request, which on
    PostgreSQL ends the test's transaction; its test client turns that off the same way."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_token(db):
    """An admin's api token, and something to find: a group, a project, a member, a package."""
    admin = make_user("schema-admin", is_admin=True)
    group = make_group("conformance", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    add_member(project, make_user("schema-dev"), AccessLevel.DEVELOPER)
    make_package(project, "conformance-pkg", "1.0")
    return make_pat(admin)


# Loaded once, at collection: generating the document needs no database. (schemathesis's
# fixture-based lazy loader does not run under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v4/openapi.json", get_wsgi_application(),
                                        config=CONFIG)


@schema.parametrize()
@hypothesis.settings(
    max_examples=4, derandomize=True, deadline=None, database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_answers_as_documented(case, admin_token):
    case.call_and_validate(headers={"PRIVATE-TOKEN": admin_token}, checks=CHECKS)
