"""`jaga polres create`: any regency's Polres, its Polsek, the levels above it, idempotently;
and what a Polda's or the national unit's leaders see."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404

from jaga.accounts.access import ALL_CODES, in_scope, scope_codes
from jaga.accounts.models import Role
from jaga.accounts.services import create_posting
from jaga.analytics.units import COUNTRY_KEY, default_unit_key, resolve_unit
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.programs.models import Programme
from jaga.servicedesk.models import Service, ServiceQuestion
from jaga.territory.models import (
    COUNTRY_CODE,
    Level,
    NormSetting,
    PoliceUnit,
    PoliceUnitKind,
    Territory,
)
from jaga.territory.polres import STANDARD_NORMS, STANDARD_PROGRAMMES, create_polres
from jaga.territory.queries import home_code, unit_name_for
from jaga.territory.services import load_territory
from tests.analytics.conftest import LAST_MONTH, frozen, put_count  # noqa: F401
from tests.conftest import client_for
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db

BLITAR = "35.72"  # Kota Blitar: a second, small regency of the same province


def _state() -> tuple[object, ...]:
    return (
        sorted(PoliceUnit.objects.values_list("code", "kind", "name", "parent__code")),
        sorted(PoliceUnit.territories.through.objects.values_list("policeunit_id", "territory_id")),
        sorted(NormSetting.objects.values_list("key", "value")),
        sorted(Service.objects.values_list("code", "name_id")),
        ServiceQuestion.objects.count(),
        sorted(Programme.objects.values_list("code", "name")),
        Territory.objects.count(),
        AuditLog.objects.count(),
    )


def test_it_sets_up_the_polres_its_polsek_and_the_levels_above(regency):
    result = create_polres("35.03")
    districts = Territory.objects.filter(level=Level.DISTRICT, parent=regency)
    assert result.polres.name == "Polres Trenggalek"
    assert result.polres.kind == PoliceUnitKind.POLRES
    assert list(result.polres.territories.values_list("code", flat=True)) == ["35.03"]
    assert result.polda.name == "Polda Jawa Timur"
    assert list(result.polda.territories.values_list("code", flat=True)) == ["35"]
    assert result.polres.parent == result.polda
    assert result.polda.parent == result.national
    assert result.national.kind == PoliceUnitKind.NATIONAL
    assert list(result.national.territories.values_list("code", flat=True)) == [COUNTRY_CODE]
    assert Territory.objects.get(code=COUNTRY_CODE).level == Level.COUNTRY
    assert set(result.polsek_by_district) == set(districts.values_list("code", flat=True))
    polsek = result.polsek_by_district["35.03.02"]
    assert polsek.name == "Polsek Munjungan"
    assert polsek.parent == result.polres
    assert list(polsek.territories.values_list("code", flat=True)) == ["35.03.02"]
    assert {key for key, *_rest in STANDARD_NORMS} <= set(
        NormSetting.objects.values_list("key", flat=True)
    )
    assert {code for code, *_rest in STANDARD_PROGRAMMES} <= set(
        Programme.objects.values_list("code", flat=True)
    )
    assert result.created[PoliceUnitKind.POLSEK] == districts.count()
    assert AuditLog.objects.filter(action="territory.unit_created").count() == districts.count() + 3


def test_running_twice_changes_nothing(regency):
    first = create_polres("35.03")
    assert first.changed
    before = _state()
    second = create_polres("35.03")
    assert not second.changed
    assert second.polres.pk == first.polres.pk
    assert _state() == before


def test_it_never_overwrites_what_an_admin_edited(regency):
    result = create_polres("35.03")
    polsek = result.polsek_by_district["35.03.11"]
    polsek.name = "Polsek Kota Trenggalek"
    polsek.save()
    result.polres.territories.clear()
    norm = NormSetting.objects.get(key="bhabin_per_village")
    norm.value = 2
    norm.save()
    create_polres("35.03")
    polsek.refresh_from_db()
    assert polsek.name == "Polsek Kota Trenggalek"
    assert not result.polres.territories.exists()
    assert NormSetting.objects.get(key="bhabin_per_village").value == 2


def test_it_restores_a_missing_service_with_its_questions(regency):
    create_polres("35.03")
    service = Service.objects.get(code="kehilangan")
    questions = service.questions.count()
    assert questions
    service.questions.all().delete()
    service.delete()
    result = create_polres("35.03")
    assert result.created == {"service": 1}
    assert Service.objects.get(code="kehilangan").questions.count() == questions


def test_a_second_regency_shares_the_polda_and_the_national_unit(regency):
    load_territory(BLITAR)
    first = create_polres("35.03")
    second = create_polres(BLITAR)
    assert second.polres.name == "Polres Kota Blitar"
    assert second.polda.pk == first.polda.pk
    assert second.national.pk == first.national.pk
    assert PoliceUnit.objects.filter(kind=PoliceUnitKind.POLDA).count() == 1
    assert PoliceUnit.objects.filter(kind=PoliceUnitKind.NATIONAL).count() == 1


@pytest.mark.parametrize("code", ["35.99", "35", "35.03.11", "nonsense"])
def test_an_unknown_or_non_regency_code_is_refused(code, regency):
    before = _state()
    with pytest.raises(DomainError) as exc:
        create_polres(code)
    assert exc.value.code == "unknown_regency"
    assert _state() == before


def test_the_command_says_what_it_did_and_refuses_bad_codes(regency):
    out = io.StringIO()
    call_command("polres", "create", "--regency", "35.03", stdout=out)
    assert "Polres Trenggalek: created" in out.getvalue()
    out = io.StringIO()
    call_command("polres", "create", "--regency", "35.03", stdout=out)
    assert "nothing changed" in out.getvalue()
    with pytest.raises(CommandError, match="35.99"):
        call_command("polres", "create", "--regency", "35.99")


# --------------------------------------------------------------------------- the levels above


def _posted(username: str, role: str, code: str):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username)
    PostingFactory(
        user=user,
        role=role,
        territory=Territory.objects.get(code=code),
        valid_from=datetime.date(2020, 1, 1),
    )
    return user


@pytest.fixture
def two_regencies(regency):  # type: ignore[no-untyped-def]
    load_territory(BLITAR)
    create_polres("35.03")
    create_polres(BLITAR)


def test_a_polda_leader_sees_every_regency_of_the_province(two_regencies, leader):
    kapolda = _posted("kapolda", Role.LEADER, "35")
    assert scope_codes(kapolda) == ["35"]
    assert in_scope(kapolda, "35.03.11.1002") and in_scope(kapolda, BLITAR)
    assert not in_scope(kapolda, "36")
    assert resolve_unit(kapolda, "35").codes == ["35"]
    assert resolve_unit(kapolda, BLITAR).level == Level.REGENCY
    with pytest.raises(Http404):
        resolve_unit(kapolda, COUNTRY_KEY)
    # A Kapolres sees neither the province nor the other regency.
    with pytest.raises(Http404):
        resolve_unit(leader, "35")
    with pytest.raises(Http404):
        resolve_unit(leader, BLITAR)


def test_the_national_unit_sees_everything_without_admin_rights(two_regencies):
    korbinmas = _posted("korbinmas", Role.LEADER, COUNTRY_CODE)
    assert scope_codes(korbinmas) == [ALL_CODES]
    assert not korbinmas.is_superuser
    unit = resolve_unit(korbinmas, COUNTRY_KEY)
    assert unit.level == "country"
    assert unit.codes == ["35"]
    assert default_unit_key(korbinmas) == COUNTRY_KEY
    assert resolve_unit(korbinmas, BLITAR).level == Level.REGENCY


def test_a_posting_to_the_country_is_only_for_leaders_staff_and_admins(two_regencies, leader):
    country = Territory.objects.get(code=COUNTRY_CODE)
    user = UserFactory(username="kakorbinmas")
    create_posting(user, Role.LEADER, country, actor=None)
    with pytest.raises(DomainError):
        create_posting(UserFactory(username="x"), Role.POLSEK, country, actor=None)


def test_home_code_for_everything_is_the_only_regency_else_the_first_province(regency):
    assert home_code(["35.03.11"]) == "35.03.11"
    assert home_code([ALL_CODES]) == "35.03"
    load_territory(BLITAR)
    assert home_code([ALL_CODES]) == "35"
    assert home_code([]) is None


def test_unit_name_for_names_the_polres_of_the_place(regency):
    assert unit_name_for("35.03.11.1002") == "Polri"
    create_polres("35.03")
    assert unit_name_for("35.03.11.1002") == "Polres Trenggalek"


@pytest.mark.usefixtures("frozen")
def test_dashboards_roll_up_at_province_and_country_level(two_regencies, village_a):
    put_count(village_a, LAST_MONTH, "miras", 4)
    blitar_village = Territory.objects.filter(level=Level.VILLAGE, regency_code=BLITAR).first()
    assert blitar_village is not None
    put_count(blitar_village, LAST_MONTH, "miras", 3)
    korbinmas = client_for(_posted("korbinmas", Role.LEADER, COUNTRY_CODE))
    kapolda = client_for(_posted("kapolda", Role.LEADER, "35"))
    kapolres = client_for(_posted("kapolres", Role.LEADER, "35.03"))
    for client, key, status in [
        (korbinmas, "*", 200),
        (korbinmas, "35", 200),
        (kapolda, "35", 200),
        (kapolda, "*", 404),
        (kapolres, "35", 404),
        (kapolres, "*", 404),
        (kapolres, "35.03", 200),
    ]:
        response = client.get("/analitik/", {"territory": key})
        assert response.status_code == status, (key, status)
    api = korbinmas.get(
        "/api/v1/analytics/compstat", {"territory": "*", "month": LAST_MONTH.strftime("%Y-%m")}
    )
    assert api.status_code == 200
    page = korbinmas.get("/analitik/", {"territory": "*", "month": "2026-10"})
    assert "Indonesia" in page.content.decode()
