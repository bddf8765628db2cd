from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from jaga.core.errors import DomainError, ImportFailed
from jaga.territory.models import Level, Territory, VillageKind
from jaga.territory.services import DATA_DIR, load_territory

pytestmark = pytest.mark.django_db


def test_trenggalek_has_14_districts_and_157_villages(regency):
    districts = Territory.objects.filter(level=Level.DISTRICT, parent=regency)
    villages = Territory.objects.filter(level=Level.VILLAGE, regency_code="35.03")
    assert districts.count() == 14
    assert villages.count() == 157
    assert villages.filter(kind=VillageKind.DESA).count() == 152
    kelurahan = villages.filter(kind=VillageKind.KELURAHAN)
    assert kelurahan.count() == 5
    assert set(kelurahan.values_list("district_code", flat=True)) == {"35.03.11"}
    assert set(kelurahan.values_list("name", flat=True)) == {
        "Kelutan",
        "Ngantru",
        "Sumbergedong",
        "Surodakan",
        "Tamanan",
    }


def test_codes_and_ancestors_are_kept_on_each_village(village_a):
    assert village_a.code == "35.03.11.1002"
    assert village_a.province_code == "35"
    assert village_a.regency_code == "35.03"
    assert village_a.district_code == "35.03.11"
    assert village_a.parent.code == "35.03.11"
    assert [t.code for t in village_a.ancestors()] == ["35", "35.03", "35.03.11"]


def test_a_second_load_changes_nothing(regency):
    before = Territory.objects.count()
    result = load_territory("35.03")
    assert result.total_created == 0
    assert sum(result.updated.values()) == 0
    assert Territory.objects.count() == before


def test_all_of_indonesia_loads_with_the_national_kinds():
    progress: list[tuple[str, int, int]] = []
    load_territory(None, progress=lambda level, done, total: progress.append((level, done, total)))
    villages = Territory.objects.filter(level=Level.VILLAGE)
    assert villages.count() == 83_762
    assert villages.filter(kind=VillageKind.KELURAHAN).count() == 8_496
    assert villages.filter(kind=VillageKind.DESA).count() == 75_252
    assert villages.filter(kind=VillageKind.DESA_ADAT).count() == 14
    assert set(
        villages.filter(kind=VillageKind.DESA_ADAT).values_list("province_code", flat=True)
    ) <= {"91", "92", "93", "94", "95", "96"}
    assert Territory.objects.filter(level=Level.REGENCY).count() == 514
    assert progress and progress[-1][1] == progress[-1][2]


def _copy_data(tmp_path: Path) -> Path:
    for name in ["provinces", "regencies", "districts", "villages"]:
        shutil.copy(DATA_DIR / f"{name}.csv.gz", tmp_path / f"{name}.csv.gz")
    return tmp_path


def _append(path: Path, lines: list[str]) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        content = f.read()
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(content.rstrip("\n") + "\n" + "\n".join(lines) + "\n")


def test_a_malformed_file_is_refused_with_its_line_numbers_and_loads_nothing(tmp_path):
    data = _copy_data(tmp_path)
    _append(
        data / "villages.csv.gz",
        [
            "35.03.99.20X1,35.03.99,Salah",
            "35.03.11.2999,35.03.12,Bukan Anaknya",
            "35.03.11.2998,35.03.11,",
        ],
    )
    before = Territory.objects.count()
    with pytest.raises(ImportFailed) as caught:
        load_territory("35.04", data_dir=data)
    errors = caught.value.errors
    assert [e["line"] for e in errors] == [83764, 83765, 83766]
    assert all(e["file"] == "villages.csv.gz" for e in errors)
    assert "35.03.99.20X1" in errors[0]["error"]
    assert Territory.objects.count() == before


def test_a_malformed_selection_gets_a_clear_error():
    with pytest.raises(DomainError) as caught:
        load_territory("35-03")
    assert caught.value.code == "bad_code"


def test_an_unknown_selection_gets_a_clear_error():
    with pytest.raises(DomainError) as caught:
        load_territory("35.99")
    assert caught.value.code == "unknown_territory"
