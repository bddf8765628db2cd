from __future__ import annotations

import datetime
import json

import pytest
from django.http import Http404

from jaga.accounts.access import (
    PARTNERSHIP_ROLES,
    STAFF_ROLES,
    code_in_scope,
    get_for_user,
    roles_of,
    scope_codes,
    territory_for_user,
)
from jaga.territory.models import Population
from tests.factories import PostingFactory

pytestmark = pytest.mark.django_db


def test_each_persona_has_the_scope_of_its_posting(alice, bob, charlie, leader):
    assert scope_codes(alice) == ["35.03.11.1002"]
    assert scope_codes(bob) == ["35.03.11"]
    assert scope_codes(charlie) == ["35.03.02"]
    assert scope_codes(leader) == ["35.03"]
    assert roles_of(alice) == {"bhabin"}


def test_a_bhabin_may_be_posted_to_two_villages(alice, village_b):
    PostingFactory(user=alice, territory=village_b)
    alice._jaga_access = {}
    assert scope_codes(alice) == ["35.03.11.1002", "35.03.11.2001"]


def test_an_expired_posting_gives_no_scope(alice):
    alice.postings.update(valid_to=datetime.date(2021, 1, 1))
    alice._jaga_access = {}
    assert scope_codes(alice) == []


def test_a_narrower_posting_inside_a_broader_one_is_folded(bob, village_a):
    PostingFactory(user=bob, role="bhabin", territory=village_a)
    bob._jaga_access = {}
    assert scope_codes(bob) == ["35.03.11"]


def test_prefix_matching_respects_code_boundaries():
    assert code_in_scope("35.03.11.1002", ["35.03.11"])
    assert code_in_scope("35.03.11", ["35.03.11"])
    assert not code_in_scope("35.03.1", ["35.03.11"])
    assert not code_in_scope("35.03.110", ["35.03.11"])
    assert code_in_scope("91.01", ["*"])


def test_get_for_user_is_404_out_of_scope(alice, charlie, village_a):
    Population.scope_field = "village__code"  # type: ignore[attr-defined]
    Population.scope_roles = STAFF_ROLES  # type: ignore[attr-defined]
    try:
        pop = Population.objects.create(village=village_a, year=2023, count=10, source="t")
        assert get_for_user(Population.objects.all(), alice, pk=pop.pk) == pop
        with pytest.raises(Http404):
            get_for_user(Population.objects.all(), charlie, pk=pop.pk)
        with pytest.raises(Http404):
            get_for_user(Population.objects.all(), alice, pk=pop.pk + 1000)
    finally:
        del Population.scope_field  # type: ignore[attr-defined]
        del Population.scope_roles  # type: ignore[attr-defined]


def test_anonymous_and_inactive_users_see_nothing(alice):
    from django.contrib.auth.models import AnonymousUser

    assert scope_codes(AnonymousUser()) == []
    alice.is_active = False
    assert scope_codes(alice) == []


# ----------------------------------------------------------------- roles and territory together


def _report(village, **extra):  # type: ignore[no-untyped-def]
    from jaga.servicedesk.models import Channel, Service
    from jaga.servicedesk.services import submit_request

    report, _created = submit_request(
        service=Service.objects.get(code="knalpot_brong"),
        village=village,
        description="Knalpot brong tiap malam.",
        channel=Channel.WEB,
        **extra,
    )
    return report


def _resident(village):  # type: ignore[no-untyped-def]
    from jaga.accounts.models import Role
    from tests.factories import UserFactory

    user = UserFactory(username="warga")
    PostingFactory(user=user, role=Role.PUBLIC, territory=village)
    return user


def test_a_residents_or_partners_posting_opens_no_police_records(partner, alice, village_a):
    from jaga.servicedesk.models import ServiceRequest

    report = _report(village_a)
    resident = _resident(village_a)
    for user in (partner, resident):
        assert scope_codes(user) == []
        assert not ServiceRequest.objects.for_user(user).exists()
        with pytest.raises(Http404):
            get_for_user(ServiceRequest.objects.all(), user, pk=report.pk)
    assert list(ServiceRequest.objects.for_user(alice)) == [report]


def test_a_partner_sees_partnership_data_of_its_area(partner, satbinmas, village_a, village_c):
    from jaga.partners.models import Person
    from jaga.partners.services import create_person

    here = create_person(actor=satbinmas, full_name="Sutrisno", village=village_a)
    create_person(actor=satbinmas, full_name="Jumadi", village=village_c)
    assert list(Person.objects.for_user(partner)) == [here]
    assert scope_codes(partner, PARTNERSHIP_ROLES) == ["35.03.11"]


def test_a_resident_reads_its_own_reports_and_no_other(village_a, alice):
    from jaga.servicedesk.models import ServiceRequest

    resident = _resident(village_a)
    own = _report(village_a, actor=resident, reporter_name="Dewi")
    _report(village_a, reporter_name="Someone else")
    assert list(ServiceRequest.objects.for_user(resident)) == [own]
    assert ServiceRequest.objects.for_user(alice).count() == 2


def test_a_superuser_sees_everything_even_with_own_reports(admin_user, village_a, village_c):
    from jaga.servicedesk.models import ServiceRequest

    _report(village_a)
    _report(village_c, actor=admin_user)
    assert ServiceRequest.objects.for_user(admin_user).count() == 2


def test_territory_for_user_checks_scope_roles_and_level(alice, partner, village_a, village_b):
    from jaga.territory.models import Level

    assert territory_for_user(alice, village_a.code) == village_a
    assert territory_for_user(alice, village_a.code, level=Level.VILLAGE) == village_a
    for code, kwargs in [
        (village_b.code, {}),  # outside alice's village
        ("35.03.11", {}),  # the district around it
        (village_a.code, {"level": Level.DISTRICT}),
        ("99.99", {}),
    ]:
        with pytest.raises(Http404):
            territory_for_user(alice, code, **kwargs)
    with pytest.raises(Http404):
        territory_for_user(partner, village_a.code)
    assert territory_for_user(partner, village_a.code, PARTNERSHIP_ROLES) == village_a


def test_a_scoped_model_must_declare_its_roles(alice, village_a):
    Population.scope_field = "village__code"  # type: ignore[attr-defined]
    try:
        with pytest.raises(TypeError, match="scope_roles"):
            get_for_user(Population.objects.all(), alice, pk=1)
    finally:
        del Population.scope_field  # type: ignore[attr-defined]


def test_a_partner_cannot_propose_raid_plans_whatever_it_sends(partner, client):
    from jaga.analytics.models import RaidPlan
    from tests.conftest import client_for

    url = "/api/v1/analytics/raid-plans"
    partner_client = client_for(partner)
    for body in ({}, {"territory": "35.03.11", "week": "2024-01-01"}, "not json"):
        data = body if isinstance(body, str) else json.dumps(body)
        response = partner_client.post(url, data, content_type="application/json")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert client.post(url, "{}", content_type="application/json").status_code == 401
    assert not RaidPlan.objects.exists()


def test_a_denied_page_answers_403_and_anonymous_goes_to_login(partner, client):
    from tests.conftest import client_for

    page = client_for(partner).get("/kejadian/")
    assert page.status_code == 403
    assert "Bukan untuk peran Anda" in page.content.decode()
    assert client.get("/kejadian/")["Location"].startswith("/akun/masuk/")
