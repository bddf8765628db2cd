"""Every link that leaves the site (texts, QR codes, API answers) is built from SITE_URL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from jaga.core.gateways import LoggingGateway
from jaga.core.links import absolute_reverse, absolute_url
from jaga.servicedesk import services
from jaga.servicedesk.models import Status

SITE = "https://jaga.polres-trenggalek.example"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE + "/"
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s)\"]+", text)


def test_the_helper_joins_site_url_and_path() -> None:
    assert absolute_url("/layanan/lacak/ABC/") == SITE + "/layanan/lacak/ABC/"
    assert absolute_url("survei/aman/") == SITE + "/survei/aman/"
    assert absolute_reverse("servicedesk:track", "ABC") == SITE + "/layanan/lacak/ABC/"


def test_the_survey_and_tracking_texts_use_site_url(
    file_report: Any, village_a: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    LoggingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = file_report(village_a, anonymous=False, phone="0812000111", email="")
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.REJECTED, actor=bob, note="Bukan wewenang.")
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_request(report, Status.CLOSED, actor=bob)
    links = [link for _to, text in LoggingGateway.sent for link in _links(text)]
    assert any("/layanan/lacak/" in link for link in links)  # the private tracking link
    assert any("/survei/undangan/" in link for link in links)  # the survey after closing
    assert links and all(link.startswith(SITE + "/") for link in links), links


def test_api_links_use_site_url_not_the_requests_host(client: Client, units: dict) -> None:
    from tests.servicedesk.test_api import API, BODY

    body = {**BODY, "anonymous": False, "reporter_name": "Sri", "phone": "081234567890"}
    response = client.post(
        f"{API}/requests",
        json.dumps(body),
        content_type="application/json",
        HTTP_HOST="other.example",
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["track_url"].startswith(SITE + "/layanan/lacak/")
    if answer.get("tracking_url"):
        assert answer["tracking_url"].startswith(SITE + "/")


def test_an_unset_site_url_is_reported_outside_development(settings: Any) -> None:
    settings.DEBUG = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    with pytest.raises(SystemCheckError, match="jaga.W001"):
        call_command("check", "--fail-level", "WARNING")
    settings.SITE_URL = SITE
    call_command("check", "--fail-level", "WARNING")
