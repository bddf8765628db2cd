"""Hypothesis on what anyone can send: Open311 (GET parameters and POST bodies) and the public
forms (report form, IKM and trust surveys). No 5xx; a rejection writes nothing; its message is
in the user's language (Indonesian by default)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaga.servicedesk import services as desk
from tests.fuzz.conftest import max_examples

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

SETTINGS = settings(
    max_examples=max_examples(200, 20),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)

VALUE = st.one_of(
    st.sampled_from(
        [
            "",
            "35.03.11.1002",
            "35.03.02.2008",
            "knalpot_brong",
            "kdrt",
            "judi",
            "-8.05",
            "111.71",
            "1e309",
            "nan",
            "2024-01-01T00:00:00+99:00",
            "0001-01-01T00:00:00+14:00",
            "2024-03-05T10:00",
            "9999-12-31",
            "a" * 300 + "@example.com",
            "warga@example.com",
            "on",
            "1",
            "5",
            "-1",
            "9" * 30,
            "open",
            "closed",
            "x\x00y",
            "<script>alert(1)</script>",
        ]
    ),
    st.text(max_size=60),
)

# English source texts of Django's and Jaga's form errors: never shown to an Indonesian user.
ENGLISH = re.compile(
    r"This field is required|Enter a valid|Ensure this value|Select a valid choice|"
    r"is not one of|Describe what happened|must be an ISO 8601"
)
WRITES = ["servicedesk", "surveys", "analytics"]


def state() -> dict[str, int]:
    counted = {
        m._meta.label: m.objects.count()
        for app in WRITES
        for m in apps.get_app_config(app).get_models()
    }
    counted["audit"] = apps.get_model("core.AuditLog").objects.count()
    return counted


def message_of(response: Any) -> str:
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        return body[0]["description"] if isinstance(body, list) else str(body)
    return response.content.decode(errors="replace")


OPEN311_KEYS = [
    "service_code",
    "service_request_id",
    "status",
    "start_date",
    "end_date",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "description",
    "attribute[waktu]",
    "jurisdiction_id",
]


@pytest.fixture
def open311_key(polsek: Any) -> str:
    _client, key = desk.create_open311_client("Fuzz")
    return key


def test_open311_get_never_fails(client: Client, polsek: Any) -> None:
    @SETTINGS
    @given(
        path=st.sampled_from(["requests.json", "requests.xml", "services.json", "discovery.json"]),
        params=st.dictionaries(st.sampled_from(OPEN311_KEYS), VALUE, max_size=5),
    )
    def check(path: str, params: dict[str, str]) -> None:
        cache.clear()
        response = client.get(f"/open311/v2/{path}", params, HTTP_ACCEPT_LANGUAGE="id")
        assert response.status_code < 500, (path, params, message_of(response)[:500])
        if response.status_code == 400:
            assert not ENGLISH.search(message_of(response)), message_of(response)

    check()


def test_open311_post_creates_or_refuses_and_writes_nothing(
    client: Client, open311_key: str
) -> None:
    @SETTINGS
    @given(params=st.dictionaries(st.sampled_from(OPEN311_KEYS), VALUE, max_size=8))
    def check(params: dict[str, str]) -> None:
        cache.clear()
        before = state()
        response = client.post(
            "/open311/v2/requests.json",
            {**params, "api_key": open311_key},
            HTTP_ACCEPT_LANGUAGE="id",
        )
        assert response.status_code < 500, (params, message_of(response)[:500])
        if response.status_code != 201:
            assert state() == before, "a refused Open311 request wrote to the database"
            assert not ENGLISH.search(message_of(response)), message_of(response)

    check()


def _fields(client: Client, url: str) -> list[str]:
    page = client.get(url).content.decode()
    skip = {"csrfmiddlewaretoken", "language", "next", "viewport", "photos"}
    return sorted(set(re.findall(r'name="([^"]+)"', page)) - skip)


@pytest.mark.parametrize(
    "url",
    [
        "/layanan/lapor/knalpot_brong/?desa=35.03.11.1002",
        "/layanan/lapor/kdrt/?desa=35.03.11.1002",
        "/survei/ikm/",
        "/survei/aman/",
    ],
)
def test_a_public_form_saves_or_refuses_in_indonesian(
    client: Client, polsek: Any, url: str
) -> None:
    names = _fields(client, url)
    assert names, "the form has no fields"

    @SETTINGS
    @given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(names, VALUE)))
    def check(values: dict[str, str]) -> None:
        cache.clear()
        before = state()
        response = client.post(url, values, HTTP_ACCEPT_LANGUAGE="id")
        assert response.status_code < 500, (values, response.content[:500])
        if response.status_code != 302:
            assert state() == before, "a refused form wrote to the database"
            assert not ENGLISH.search(message_of(response)), values

    check()
