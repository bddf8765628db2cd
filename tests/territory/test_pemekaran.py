"""Pemekaran: `jaga territory split/merge`, the admin page, history through the codes."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jaga.analytics.units import resolve_unit
from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.territory.models import ChangeKind, Level, Territory, TerritoryChange
from jaga.territory.pemekaran import (
    EndedVillages,
    lineage_codes,
    merge_villages,
    parse_date,
    record_change,
    replacing,
    split_village,
)
from jaga.territory.services import load_territory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ON = datetime.date(2025, 7, 1)
A, B, C = "35.03.11.1002", "35.03.11.2001", "35.03.02.2008"
NEW = "35.03.11.2099"


def _state() -> tuple[object, ...]:
    return (
        TerritoryChange.objects.count(),
        Territory.objects.count(),
        sorted(
            Territory.objects.filter(level=Level.VILLAGE)
            .exclude(valid_to=None, successor=None, valid_from=None)
            .values_list("code", "valid_from", "valid_to", "successor__code")
        ),
        AuditLog.objects.count(),
    )


def test_a_split_links_every_successor_and_closes_the_old_village(admin_user):
    change = split_village(A, [B, NEW], ON, actor=admin_user, names={NEW: "Tamanan Baru"})
    assert change.kind == ChangeKind.SPLIT
    assert change.on == ON
    assert list(change.predecessors.values_list("code", flat=True)) == [A]
    assert sorted(change.successors.values_list("code", flat=True)) == [B, NEW]
    old = Territory.objects.get(code=A)
    assert old.valid_to == ON
    assert old.successor is not None and old.successor.code == B
    new = Territory.objects.get(code=NEW)
    assert (new.name, new.level, new.parent.code, new.district_code) == (
        "Tamanan Baru",
        Level.VILLAGE,
        "35.03.11",
        "35.03.11",
    )
    assert new.valid_from == ON
    assert Territory.objects.get(code=B).valid_from == ON
    assert set(Territory.objects.get(code=NEW).changes_in.all()) == {change}
    log = AuditLog.objects.get(action="territory.split")
    assert log.after["after"] == [B, NEW] and log.after["created"] == [NEW]


def test_a_split_where_the_old_village_keeps_its_code(admin_user):
    split_village(A, [A, NEW], ON, actor=admin_user, names={NEW: "Tamanan Baru"})
    old = Territory.objects.get(code=A)
    assert old.valid_to is None and old.valid_from is None
    assert lineage_codes(NEW) == [NEW, A]


def test_a_merge_closes_every_old_village_and_carries_their_history(admin_user):
    change = merge_villages([A, B], NEW, ON, actor=admin_user, names={NEW: "Tamanan Raya"})
    assert sorted(change.predecessors.values_list("code", flat=True)) == [A, B]
    for code in (A, B):
        village = Territory.objects.get(code=code)
        assert village.valid_to == ON
        assert village.current_successor().code == NEW
    assert lineage_codes(NEW) == [NEW, A, B]
    assert lineage_codes(A) == [A]


def test_lineage_follows_several_changes(admin_user):
    merge_villages([A, B], NEW, ON, actor=admin_user, names={NEW: "Tamanan Raya"})
    later = "35.03.11.2098"
    split_village(
        NEW,
        [later, "35.03.11.2097"],
        datetime.date(2026, 1, 1),
        actor=admin_user,
        names={later: "Tamanan Kidul", "35.03.11.2097": "Tamanan Lor"},
    )
    assert lineage_codes(later) == [later, NEW, A, B]


def test_a_village_dashboard_reads_its_predecessors_rollups(admin_user, leader, charlie):
    merge_villages([A, C], NEW, ON, actor=admin_user, names={NEW: "Tamanan Raya"})
    assert resolve_unit(leader, NEW).codes == [NEW, C, A]
    # A predecessor outside the user's scope stays out.
    from tests.conftest import _person

    kapolsek = _person("kapolsek_ab", "polsek", "35.03.11")
    assert resolve_unit(kapolsek, NEW).codes == [NEW, A]


def test_reloading_the_territory_keeps_the_changes(admin_user):
    split_village(A, [B, NEW], ON, actor=admin_user, names={NEW: "Tamanan Baru"})
    before = _state()
    load_territory("35.03")
    assert _state() == before
    assert Territory.objects.get(code=A).valid_to == ON
    assert TerritoryChange.objects.get().successors.count() == 2


@pytest.mark.parametrize(
    ("kind", "old", "new", "names", "code"),
    [
        (ChangeKind.SPLIT, ["35.03.11.9999"], [B, NEW], {NEW: "x"}, "unknown_territory"),
        (ChangeKind.SPLIT, [A], [B, "35.03.11.2098"], {}, "unknown_territory"),
        (ChangeKind.SPLIT, ["35.03.11"], [A, B], {}, "not_a_village"),
        (ChangeKind.MERGE, [A, B], ["35.03"], {}, "not_a_village"),
        (ChangeKind.SPLIT, [A], [B], {}, "bad_split"),
        (ChangeKind.MERGE, [A], [B], {}, "bad_merge"),
        (ChangeKind.SPLIT, [A], [B, B], {}, "repeated_code"),
        (ChangeKind.SPLIT, [A], [B, "35.03.99.2001"], {"35.03.99.2001": "x"}, "unknown_district"),
        (ChangeKind.SPLIT, [A], [B, "35.03.11.20"], {"35.03.11.20": "x"}, "bad_code"),
        ("rename", [A], [B], {}, "bad_kind"),
    ],
)
def test_bad_input_changes_nothing(kind, old, new, names, code, admin_user):
    before = _state()
    with pytest.raises(DomainError) as exc:
        record_change(kind, old, new, ON, actor=admin_user, names=names)
    assert exc.value.code == code
    assert _state() == before


def test_an_ended_village_cannot_end_again(admin_user):
    split_village(A, [B, NEW], ON, actor=admin_user, names={NEW: "Tamanan Baru"})
    before = _state()
    with pytest.raises(DomainError) as exc:
        merge_villages([A, C], B, ON, actor=admin_user)
    assert exc.value.code == "already_ended"
    assert _state() == before


def test_errors_speak_the_users_language():
    with translation.override("id"), pytest.raises(DomainError) as exc:
        parse_date("1/7/2025")
    assert "bukan tanggal" in str(exc.value.message)
    with translation.override("en"), pytest.raises(DomainError) as exc:
        parse_date("1/7/2025")
    assert "is not a date" in str(exc.value.message)
    assert parse_date("2025-07-01") == ON


def test_the_commands_record_a_split_and_a_merge():
    out = io.StringIO()
    call_command(
        "territory", "split", A, B, NEW, "--date", "2025-07-01", "--name", f"{NEW}=Tamanan Baru",
        stdout=out,
    )  # fmt: skip
    assert f"{A} -> {B}, {NEW}" in out.getvalue()
    out = io.StringIO()
    call_command("territory", "merge", B, C, NEW, "--date", "2025-08-01", stdout=out)
    assert f"{C}, {B} -> {NEW}" in out.getvalue()
    assert TerritoryChange.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["split", A, B, NEW, "--date", "01-07-2025", "--name", f"{NEW}=X"], "YYYY-MM-DD"),
        (["split", A, B, "35.03.11.2098", "--date", "2025-07-01"], "--name"),
        (["split", "35.03.11", A, B, "--date", "2025-07-01"], "35.03.11"),
        (["merge", A, NEW, "--date", "2025-07-01"], "two or more"),
        (["split", A, B, NEW, "--date", "2025-07-01", "--name", "nonsense"], "CODE=NAME"),
    ],
)
def test_the_commands_refuse_bad_input_and_change_nothing(args, message):
    before = _state()
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("territory", *args)
    assert _state() == before


def test_the_admin_page_records_a_split(admin_user):
    client = client_for(admin_user)
    url = "/admin/territory/territorychange/add/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"kind": "split", "old": "35.03.11", "new": f"{A} {B}", "on": "2025-07-01"}
    )
    assert bad.status_code == 200
    assert "35.03.11" in bad.content.decode()
    assert not TerritoryChange.objects.exists()
    response = client.post(
        url,
        {
            "kind": "split",
            "old": A,
            "new": f"{B}, {NEW}",
            "on": "2025-07-01",
            "names": f"{NEW}=Tamanan Baru",
        },
    )
    assert response.status_code == 302
    change = TerritoryChange.objects.get()
    assert sorted(change.successors.values_list("code", flat=True)) == [B, NEW]
    listing = client.get("/admin/territory/territorychange/")
    assert listing.status_code == 200
    assert "Tamanan Baru" in listing.content.decode()
    assert client.get(f"/admin/territory/territorychange/{change.pk}/change/").status_code == 200
    assert client.post(f"/admin/territory/territorychange/{change.pk}/delete/").status_code == 403


def test_an_ended_village_names_the_villages_that_carry_it_today(admin_user):
    """The imports' rule (`EndedVillages`): dated records before the end only, no undated one;
    the refusal names the living villages that replaced it, through later changes too."""
    split_village(A, [B, NEW], ON, actor=admin_user, names={NEW: "Tamanan Baru"})
    later = "35.03.11.1003"
    merge_villages([NEW, later], later, datetime.date(2025, 9, 1), actor=admin_user)
    ended = EndedVillages()
    assert ended.takes(A, ON - datetime.timedelta(days=1))
    assert not ended.takes(A, ON) and not ended.takes(A, None)
    assert ended.takes(B, None) and ended.takes(later, None) and ended.problem(B, ON) == ""
    assert [t.code for t in replacing(Territory.objects.get(code=A))] == [later, B]
    with translation.override("en"):
        undated = ended.problem(A, None)
        dated = ended.problem(NEW, datetime.date(2025, 9, 1))
    assert undated.startswith(
        f"Kelurahan Tamanan ({A}) ended on 1 July 2025 (pemekaran) and takes no new"
    )
    assert "one of the villages that replaced it: Kelurahan Ngantru" in undated
    assert f"Kelurahan Ngantru ({later}), Desa " in undated and undated.endswith(f"({B}).")
    assert dated.startswith(
        f"Desa Tamanan Baru ({NEW}) ended on 1 September 2025 (pemekaran); a record dated"
    )
    assert dated.endswith(
        f"belongs to the village that replaced it: "
        f"{Territory.objects.get(code=later).display_name} ({later})."
    )
