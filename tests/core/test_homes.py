"""Every role's home page has something to do on it."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jaga.accounts.models import Role
from jaga.partners import services as partners
from jaga.programs import services as programs
from jaga.programs.models import Invitation, Response
from jaga.territory.models import Territory
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory
from tests.partners.conftest import fkpm_a, person_a, programme  # noqa: F401

VILLAGE_A = "35.03.11.1002"


def _main(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main>") : html.index("</main>")]


# Each role's home links to the page where its daily work starts (route name, query).
ACTIONS = {
    "alice": ("fieldwork:visit_new", ""),  # record a visit
    "bob": ("servicedesk:queue", "?status=open"),  # the open desk reports of the district
    "satbinmas": ("servicedesk:queue", "?status=open"),
    "leader": ("servicedesk:queue", "?status=open"),
    "admin_user": ("servicedesk:queue", "?status=open"),
    "partner": ("programs:activity_create", ""),  # record an activity of the organisation
}


@pytest.mark.parametrize("persona", sorted(ACTIONS))
def test_each_roles_home_has_an_action(persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    main = _main(client_for(user).get("/"))
    name, query = ACTIONS[persona]
    expected = reverse(name) + query
    assert f'href="{expected}' in main.replace("&amp;", "&"), f"{persona}: no {expected}"


def test_a_residents_home_offers_to_report_and_follow(db: Any) -> None:
    resident = UserFactory(username="warga")
    PostingFactory(
        user=resident,
        role=Role.PUBLIC,
        territory=Territory.objects.get(code=VILLAGE_A),
    )
    main = _main(client_for(resident).get("/"))
    for url in ("/layanan/lapor/", "/layanan/laporan-saya/", "/layanan/lacak/"):
        assert url in main


@pytest.fixture
def coordinator(fkpm_a: Any) -> Any:  # noqa: F811
    user = UserFactory(username="ketua")
    PostingFactory(
        user=user, role=Role.PARTNER, territory=fkpm_a.territory, organisation_id=fkpm_a.pk
    )
    return user


@pytest.fixture
def upcoming(programme: Any, fkpm_a: Any, satbinmas: Any, village_a: Any) -> Any:  # noqa: F811
    activity = programs.record_activity(
        actor=satbinmas,
        programme=programme,
        kind="meeting",
        title="Rapat koordinasi kamtibmas",
        starts_at=timezone.now() + datetime.timedelta(days=3),
        village=village_a,
    )
    # The coordinator sees the activities their organisation organises or partners in.
    activity.partners.add(fkpm_a)
    return activity


@pytest.mark.usefixtures("frozen_clock")
def test_the_coordinators_home_lists_invitations_to_answer_and_answers_them(
    coordinator: Any,
    upcoming: Any,
    fkpm_a: Any,  # noqa: F811
    person_a: Any,  # noqa: F811
    satbinmas: Any,
) -> None:
    partners.add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2024, 1, 1)
    )
    invitation = programs.invite(upcoming, actor=satbinmas, person=person_a)
    client = client_for(coordinator)
    main = _main(client.get("/"))
    assert "Rapat koordinasi kamtibmas" in main
    assert f"/program/undangan/{invitation.pk}/jawab/" in main
    assert "Sutrisno" in main  # a member without a phone number, to update
    assert f"/mitra/warga/{person_a.pk}/ubah/" in main
    response = client.post(
        f"/program/undangan/{invitation.pk}/jawab/", {"response": "accepted", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert Invitation.objects.get(pk=invitation.pk).response == Response.ACCEPTED
    assert f"/program/undangan/{invitation.pk}/jawab/" not in _main(client.get("/"))


@pytest.mark.usefixtures("frozen_clock")
def test_answering_refuses_a_foreign_redirect_and_other_areas(
    coordinator: Any,
    upcoming: Any,
    fkpm_a: Any,  # noqa: F811
    person_a: Any,  # noqa: F811
    satbinmas: Any,
    charlie_client: Client,
) -> None:
    partners.add_membership(
        actor=satbinmas, person=person_a, organisation=fkpm_a, started_on=datetime.date(2024, 1, 1)
    )
    invitation = programs.invite(upcoming, actor=satbinmas, person=person_a)
    client = client_for(coordinator)
    response = client.post(
        f"/program/undangan/{invitation.pk}/jawab/",
        {"response": "declined", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/program/kegiatan/{upcoming.pk}/"
    outside = charlie_client.post(
        f"/program/undangan/{invitation.pk}/jawab/", {"response": "accepted"}
    )
    assert outside.status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).response == Response.DECLINED


def test_no_home_shows_a_raw_role_code(alice: Any) -> None:
    main = _main(client_for(alice).get("/"))
    assert not re.search(r">\s*bhabin\s*<", main)


def test_villages_are_counted_as_people_count_them(alice: Any) -> None:
    from django.conf import settings

    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    main = _main(client.get("/"))
    assert "of 1 village not visited" in main
    assert "1 villages" not in main
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assert "dari 1 desa tidak dikunjungi" in _main(client.get("/"))


def test_the_incident_page_shows_the_category_name_not_its_code(
    bob_client: Client, village_a: Any
) -> None:
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident

    incident = record_incident(
        category=Category.objects.get(code="balap_liar"),
        village=village_a,
        occurred_at=timezone.now(),
        source="import",
        source_ref="words-1",
        description="Balap liar di jalan desa.",
    )
    main = _main(bob_client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "Balap liar" in main
    assert "balap_liar" not in main
