from __future__ import annotations

import datetime
import io

import pytest

from jaga.core.errors import DomainError, ImportFailed
from jaga.core.models import AuditLog
from jaga.core.tabular import write_xlsx
from jaga.territory.models import PolmasStatus, Population, Territory
from jaga.territory.pemekaran import split_village
from jaga.territory.services import import_populations, set_polmas_status

pytestmark = pytest.mark.django_db


def test_setting_polmas_status_keeps_the_note_and_writes_an_audit_row(village_c, leader):
    set_polmas_status(village_c, PolmasStatus.SELF_MANAGED, "Warga menjaga sendiri", actor=leader)
    village_c.refresh_from_db()
    assert village_c.polmas_status == "self_managed"
    entry = AuditLog.objects.get(action="territory.polmas_status")
    assert entry.actor == leader
    assert entry.before == {"polmas_status": "active", "polmas_note": ""}
    assert entry.after["polmas_status"] == "self_managed"


def test_an_unknown_polmas_status_is_refused(village_c, leader):
    with pytest.raises(DomainError):
        set_polmas_status(village_c, "sleepy", "", actor=leader)
    village_c.refresh_from_db()
    assert village_c.polmas_status == "active"


def test_populations_import_from_csv_and_xlsx(village_a, village_b):
    csv_bytes = b"village_code,year,count,source\n35.03.11.1002,2023,4120,BPS\n"
    assert import_populations(io.BytesIO(csv_bytes), name="pop.csv") == 1
    xlsx = write_xlsx(
        ["village_code", "year", "count", "source"], [["35.03.11.2001", 2023, 3100, "BPS"]]
    )
    assert import_populations(io.BytesIO(xlsx), name="pop.xlsx") == 1
    assert Population.objects.get(village=village_a, year=2023).count == 4120
    assert Population.objects.get(village=village_b, year=2023).count == 3100


def test_a_population_file_with_bad_rows_imports_nothing_and_names_each_line(village_a):
    csv_bytes = (
        b"village_code,year,count,source\n"
        b"35.03.11.1002,2023,4120,BPS\n"
        b"35.03.11.9999,2023,10,BPS\n"
        b"35.03.11.1002,dua ribu,10,BPS\n"
    )
    with pytest.raises(ImportFailed) as caught:
        import_populations(io.BytesIO(csv_bytes), name="pop.csv")
    assert sorted(e["line"] for e in caught.value.errors) == [3, 4]
    assert not Population.objects.exists()


def test_a_split_village_hands_its_history_to_its_successors(village_a, village_b, admin_user):
    split_village(
        village_a.code,
        [village_b.code, "35.03.11.2099"],
        datetime.date(2024, 1, 1),
        actor=admin_user,
        names={"35.03.11.2099": "Tamanan Baru"},
    )
    village_a.refresh_from_db()
    assert village_a.valid_to == datetime.date(2024, 1, 1)
    assert village_a.current_successor() == village_b
    assert village_a not in Territory.objects.current(datetime.date(2024, 6, 1))
    assert village_a in Territory.objects.current(datetime.date(2023, 6, 1))


def test_village_centres_import_all_or_nothing(village_a, village_b):
    from jaga.territory.services import import_village_points

    bad = (
        b"village_code,latitude,longitude\n"
        b"35.03.11.1002,-8.05,111.71\n"
        b"35.03.11.2001,51.5,-0.1\n"
        b"35.03.11.9999,-8.0,111.7\n"
    )
    with pytest.raises(ImportFailed) as caught:
        import_village_points(io.BytesIO(bad), name="points.csv")
    assert [e["line"] for e in caught.value.errors] == [3, 4]
    village_a.refresh_from_db()
    assert village_a.latitude is None
    good = b"village_code,latitude,longitude\n35.03.11.1002,-8.05,111.71\n"
    assert import_village_points(io.BytesIO(good), name="points.csv") == 1
    village_a.refresh_from_db()
    assert (village_a.latitude, village_a.longitude) == (-8.05, 111.71)
