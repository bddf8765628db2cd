"""schemathesis over every operation of the OpenAPI document at /api/v1: no answer is a 5xx.

Each operation runs as the administrator, as a resident (a public account) and anonymously, with
a personal API token (so CSRF does not turn every write into a 403). Checks: no server error, and
the answer's status code and content type are ones the document declares.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from jaga.api import api
from tests.fuzz.conftest import bearer, max_examples

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():  # type: ignore[no-untyped-def]
    # The WSGI app ends each request with close_old_connections, which closes a connection in
    # the middle of the test's transaction (PostgreSQL); Django's test client unhooks it too.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


SETTINGS = settings(
    max_examples=max_examples(60, 6),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _call(case, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}\n"
        f"{case.as_curl_command()}\n{response.text[:2000]}"
    )


@schema.parametrize()
@SETTINGS
def test_no_operation_fails_the_admin(case, admin_user):  # type: ignore[no-untyped-def]
    headers = bearer(admin_user)
    response = case.call(headers=headers)
    # The body of a documented answer matches its schema too (the admin sees every field).
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance], headers=headers
    )


@schema.parametrize()
@SETTINGS
def test_no_operation_fails_a_resident(case, resident):  # type: ignore[no-untyped-def]
    _call(case, bearer(resident))


@schema.parametrize()
@SETTINGS
def test_no_operation_fails_anonymous(case):  # type: ignore[no-untyped-def]
    _call(case, {})
