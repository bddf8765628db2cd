"""Survey pages: public questionnaires, the invitation link, staff entry and results."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jaga.surveys import services
from jaga.surveys.models import IkmResponse, TrustResponse
from tests.surveys.conftest import SCORES, TRUST

pytestmark = pytest.mark.django_db


def _trust_post(**extra):
    data = {k: ("1" if v is True else "0" if v is False else str(v)) for k, v in TRUST.items()}
    return data | extra


def test_a_resident_answers_the_trust_survey_without_login(client: Client, village_a):
    page = client.get(reverse("surveys:trust"))
    assert page.status_code == 200
    assert "Survei rasa aman dan kepercayaan" in page.content.decode()
    response = client.post(reverse("surveys:trust"), _trust_post(village=village_a.pk))
    assert response.status_code == 302
    assert TrustResponse.objects.get().channel == "portal"


def test_an_answer_out_of_range_is_shown_and_nothing_is_kept(client: Client, village_a):
    response = client.post(reverse("surveys:trust"), _trust_post(village=village_a.pk, safe_home=9))
    assert response.status_code == 200
    assert "safe_home" in response.context["form"].errors
    assert TrustResponse.objects.count() == 0


def test_a_resident_rates_the_service_ikm(client: Client, village_a, polsek):
    data = {k: str(v) for k, v in SCORES.items()} | {
        "village": village_a.pk,
        "unit": polsek.pk,
        "gender": "f",
    }
    assert client.post(reverse("surveys:ikm"), data).status_code == 302
    assert IkmResponse.objects.get().gender == "f"


def test_the_invitation_link_works_once(client: Client, village_a):
    invitation = services.invite_after_close(ticket="T7", village=village_a, phone="0812")
    url = reverse("surveys:invited", args=[invitation.token])
    assert client.get(url).status_code == 200
    assert client.post(url, _trust_post()).status_code == 302
    second = client.post(url, _trust_post(trust_police=1))
    assert second.status_code == 409
    assert "sudah" in second.content.decode()
    assert TrustResponse.objects.get().trust_police == 4
    assert client.get(reverse("surveys:invited", args=["unknown"])).status_code == 404


def test_staff_enter_paper_forms_only_for_their_villages(alice_client, village_a, village_c):
    url = reverse("surveys:trust_entry")
    ok = alice_client.post(url, _trust_post(village=village_a.pk, answered_on="2024-02-01"))
    assert ok.status_code == 302
    assert TrustResponse.objects.get().channel == "paper"
    outside = alice_client.post(url, _trust_post(village=village_c.pk, answered_on="2024-02-01"))
    assert outside.status_code == 200 and "village" in outside.context["form"].errors
    assert TrustResponse.objects.count() == 1


def test_entry_pages_need_a_login_and_a_staff_role(client: Client, partner):
    url = reverse("surveys:ikm_entry")
    assert client.get(url).status_code == 302
    other = Client()
    other.force_login(partner)
    assert other.get(url).status_code == 403


def _seed(village, polsek):
    day = timezone.localdate().replace(day=1)
    for score in (2, 3, 4):
        services.submit_ikm_response(
            village=village, unit=polsek, scores=dict.fromkeys(SCORES, score), answered_on=day
        )
        services.submit_trust_response(
            village=village, answers=TRUST | {"trust_police": score}, answered_on=day
        )


@pytest.mark.usefixtures("frozen_clock")
def test_results_show_ikm_and_trust_in_scope(
    bob_client, village_a, polsek, django_assert_max_num_queries
):
    _seed(village_a, polsek)
    with django_assert_max_num_queries(40):
        page = bob_client.get(reverse("surveys:results"))
    assert page.status_code == 200
    assert page.context["ikm_overall"].converted == 75
    assert page.context["trust"].respondents == 3
    body = page.content.decode()
    assert "Polsek Trenggalek" in body and "Tamanan" in body


@pytest.mark.usefixtures("frozen_clock")
def test_results_out_of_scope_are_404_and_anonymous_is_sent_to_login(
    charlie_client, client: Client, village_a, polsek
):
    _seed(village_a, polsek)
    assert charlie_client.get(reverse("surveys:results_for", args=["35.03.11"])).status_code == 404
    assert client.get(reverse("surveys:results")).status_code == 302


def test_trust_is_joined_to_disturbances_and_participation(village_a, village_b, db):
    import datetime as dt

    from jaga.analytics.rollups import bump_incidents, bump_metric
    from jaga.incidents.models import Category
    from jaga.surveys.queries import joined_by_child
    from jaga.territory.models import Population, Territory

    day = dt.date(2024, 3, 1)
    for village, trust in ((village_a, 5), (village_b, 2)):
        services.submit_trust_response(
            village=village, answers=TRUST | {"trust_police": trust}, answered_on=day
        )
        Population.objects.create(village=village, year=2023, count=2000, source="test")
    bump_incidents(village_b, day, Category.objects.get(code="pencurian").pk, 4)
    bump_metric(village_a, day, "attendance.invited", 10, "KTS")
    bump_metric(village_a, day, "attendance.attended", 7, "KTS")
    district = Territory.objects.get(code="35.03.11")
    rows = {r["territory"].code: r for r in joined_by_child(district, day, day)["rows"]}
    assert rows[village_b.code]["incidents"] == 4 and rows[village_b.code]["per_1000"] == 2.0
    assert rows[village_b.code]["trust"] is None  # one answer: no interval, no mean shown
    assert rows[village_a.code]["attendance"] == 70.0


def test_public_answers_are_rate_limited(client: Client, village_a, settings):
    settings.PUBLIC_RATE_LIMIT = 2
    url = reverse("surveys:trust")
    for _ in range(2):
        assert client.post(url, _trust_post(village=village_a.pk)).status_code == 302
    third = client.post(url, _trust_post(village=village_a.pk))
    assert third.status_code == 429
    assert TrustResponse.objects.count() == 2


@pytest.mark.usefixtures("frozen_clock")
def test_results_draw_trust_over_time(bob_client, village_a):
    today = timezone.localdate().replace(day=1)
    earlier = (today - datetime.timedelta(days=1)).replace(day=1)
    for day in (earlier, today):
        for score in (3, 5):
            services.submit_trust_response(
                village=village_a, answers=TRUST | {"trust_police": score}, answered_on=day
            )
    page = bob_client.get(reverse("surveys:results"))
    assert page.context["trust_chart"] is not None
    assert "<svg" in page.content.decode()


def test_staff_of_a_large_area_type_the_village_instead_of_a_list(
    satbinmas_client, village_a, monkeypatch
):
    """Above SELECT_LIMIT villages (a Polda, the country) the entry form searches by name."""
    from jaga.core import choose

    monkeypatch.setattr(choose, "SELECT_LIMIT", 5)
    url = reverse("surveys:trust_entry")
    page = satbinmas_client.get(url).content.decode()
    assert 'data-choose="village"' in page and f'value="{village_a.pk}"' not in page
    label = f"{village_a.name}, Kec. {village_a.parent.name}"
    ok = satbinmas_client.post(url, _trust_post(village=label, answered_on="2024-02-01"))
    assert ok.status_code == 302
    assert TrustResponse.objects.get().village == village_a
    unknown = satbinmas_client.post(url, _trust_post(village="Atlantis", answered_on="2024-02-01"))
    assert unknown.status_code == 200 and "village" in unknown.context["form"].errors
    assert TrustResponse.objects.count() == 1


@pytest.mark.usefixtures("frozen_clock")
def test_a_provinces_results_read_each_figure_once(village_a, polsek, django_assert_num_queries):
    """A Polda opens its province's results: its regencies and their trust are read once (the
    table beside disturbances reuses them), the residents per regency are summed by the
    database in one query, not read village by village (a province has thousands), and the IKM
    weights and grades are read once for the three IKM figures."""
    from jaga.accounts.models import Role
    from jaga.territory.models import Population, Territory
    from tests.conftest import client_for
    from tests.factories import PostingFactory, UserFactory

    _seed(village_a, polsek)
    Population.objects.create(village=village_a, year=2024, count=1_000, source="test")
    kapolda = UserFactory(username="kapolda")
    PostingFactory(
        user=kapolda, role=Role.LEADER, territory=Territory.objects.get(code="35"),
        valid_from=datetime.date(2020, 1, 1),
    )  # fmt: skip
    client = client_for(kapolda)
    url = reverse("surveys:results_for", args=["35"])
    client.get(url)  # what a process keeps (content types, templates)
    with django_assert_num_queries(25):
        page = client.get(url)
    assert page.status_code == 200
    rows = {r["territory"].code: r for r in page.context["joined"]["rows"]}
    assert rows["35.03"]["respondents"] == 3 and rows["35.03"]["trust"] is not None
