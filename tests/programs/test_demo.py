"""The demo keeps the seed article's figures."""

from __future__ import annotations

import datetime
import io
import random

import pytest
from django.db.models import Count

from jaga.core import demo as core_demo
from jaga.partners import demo as partners_demo
from jaga.partners.models import Agreement, Membership, Organisation, OrgKind, Person
from jaga.programs import demo as programs_demo
from jaga.programs import queries
from jaga.programs.models import Activity, Invitation, Programme, ProgrammeAdoption

pytestmark = pytest.mark.django_db


class Out(io.StringIO):
    pass


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    ctx = {"rng": random.Random(2022), "stdout": Out(), "seed": 2022}
    core_demo.build(ctx)
    partners_demo.build(ctx)
    programs_demo.build(ctx)
    return ctx


def test_the_demo_matches_the_article(demo):
    def event(code: str) -> Activity:
        return Activity.objects.get(programme__code=code, head_count__isnull=False)

    declaration = event("DAMAI")
    assert declaration.head_count == 3000
    assert declaration.partners.filter(kind=OrgKind.PERGURUAN).count() == 24
    fkpsb = Organisation.objects.get(kind=OrgKind.FKPSB)
    assert fkpsb.children.filter(kind=OrgKind.PERGURUAN).count() == 24
    peace = Agreement.objects.get(kind="peace_declaration")
    assert peace.parties.filter(organisation__kind=OrgKind.PERGURUAN).count() == 24
    cup = event("KAPOLRES_CUP")
    assert cup.head_count == 250 and cup.partners.count() == 24
    assert event("GNPKL").head_count == 5000
    parade = event("SIAGA_BENCANA")
    assert parade.head_count == 250
    assert set(parade.partners.values_list("name", flat=True)) == {
        partners_demo.AGENCIES[k] for k in partners_demo.PARADE_AGENCIES
    }
    assert parade.starts_at.date() == datetime.date(2021, 12, 16)
    dai = Organisation.objects.get(kind=OrgKind.DAI)
    assert dai.memberships.count() == 15
    assert (
        Invitation.objects.filter(
            activity__title__startswith="Pelantikan", status="present"
        ).count()
        == 15
    )

    # Pokdar: 5 members from each of the 157 villages, one unit per kecamatan.
    units = Organisation.objects.filter(kind=OrgKind.POKDAR, territory__level="district")
    assert units.count() == 14
    on = datetime.date(2022, 1, 1)
    per_village = (
        Membership.objects.filter(organisation__in=units, started_on__lte=on)
        .values("person__village")
        .annotate(n=Count("id"))
    )
    assert len(per_village) == 157 and {row["n"] for row in per_village} == {5}

    # Every programme the article names is catalogued; KTS and FKPM adoptions are staggered.
    codes = set(Programme.objects.values_list("code", flat=True))
    assert {"KTS", "FKPM", "POKDAR", "FKPSB", "TBKB", "TBBL", "DAI", "JAGA_CC"} <= codes
    assert len(codes) >= 26
    for code in ("KTS", "FKPM"):
        dates = list(
            ProgrammeAdoption.objects.filter(programme__code=code).values_list(
                "adopted_on", flat=True
            )
        )
        months = {d.replace(day=1) for d in dates}
        # Waves of adoption: several cohorts, each with several villages (the evaluation needs
        # a spread within each cohort).
        assert len(months) >= 6
        assert len(dates) / len(months) >= 5
        assert {d.year for d in dates} == {2020, 2021, 2022, 2023}
        assert 0 < len(dates) < 157  # never-treated villages remain
    # Every FKPM has its founding agreement with the three parties.
    for agreement in Agreement.objects.filter(kind="founding").prefetch_related("parties")[:10]:
        assert {p.role for p in agreement.parties.all()} == {"police", "government", "community"}

    # Three years and more of meetings with realistic attendance and the leaders' gap.
    meetings = Activity.objects.filter(kind="meeting", invitations__isnull=False).distinct()
    first, last = (
        meetings.order_by(f).values_list("starts_at", flat=True).first()
        for f in ("starts_at", "-starts_at")
    )
    assert (last - first).days > 3 * 365
    report = queries.participation(territory_code="35.03")
    t = report.total
    assert t.invited > 10_000
    assert (
        t.late / t.invited > 0.03
        and t.represented / t.invited > 0.03
        and t.absent / t.invited > 0.1
    )
    groups = {g.key: g for g in report.by_group}
    assert groups["leaders"].attendance_rate > groups["residents"].attendance_rate + 0.15
    education = {e.key: e for e in report.by_education}
    assert education["s1"].attendance_rate > education["sd"].attendance_rate
    # The roll-ups agree with the raw invitations.
    rolled = queries.participation_from_rollups(territory_code="35.03")
    assert (rolled.invited, rolled.attended, rolled.late) == (t.invited, t.attended, t.late)
    assert Person.objects.filter(nik_hash__isnull=False).count() == 0  # no fake NIKs
