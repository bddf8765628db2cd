"""A resident's account: the public plus its own reports (`/layanan/laporan-saya/`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jaga.accounts.models import Role
from jaga.servicedesk.models import Channel, Service
from jaga.servicedesk.services import submit_request
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/layanan/laporan-saya/"


def resident(name: str, village: Any) -> Any:
    user = UserFactory(username=name)
    PostingFactory(user=user, role=Role.PUBLIC, territory=village)
    return user


def test_a_resident_sees_its_own_reports_and_no_one_elses(
    units: dict, village_a: Any, alice: Any
) -> None:
    service = Service.objects.get(code="knalpot_brong")
    sri, budi = resident("sri", village_a), resident("budi", village_a)
    mine, _ = submit_request(
        service=service,
        village=village_a,
        description="Knalpot brong tiap malam.",
        channel=Channel.WEB,
        anonymous=True,
        actor=sri,
    )
    other, _ = submit_request(
        service=service,
        village=village_a,
        description="Balap liar di jalan desa.",
        channel=Channel.WEB,
        anonymous=True,
        actor=budi,
    )
    page = client_for(sri).get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.ticket in body and other.ticket not in body
    # the list links to the report's page, where the account counts as the reporter
    report_page = client_for(sri).get(f"/layanan/lacak/{mine.ticket}/")
    assert report_page.status_code == 200 and report_page.context["private"]
    assert not client_for(budi).get(f"/layanan/lacak/{mine.ticket}/").context["private"]
    # an officer's desk report (filed for someone else) is not the officer's own
    assert mine.ticket not in client_for(alice).get(URL).content.decode()


def test_the_list_needs_a_login(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/akun/" in response["Location"]


def test_the_menu_offers_it_to_signed_in_residents(village_a: Any, client: Client) -> None:
    assert URL in client_for(resident("sri", village_a)).get("/").content.decode()
    assert URL not in client.get("/").content.decode()
