from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from jaga.programs.models import ProgrammeAdoption

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
def test_the_command_imports_with_a_progress_bar(programme, tmp_path):
    path = tmp_path / "adopsi.csv"
    path.write_text(
        "programme_code,village_code,adopted_on\n"
        "FKPM,35.03.11.1002,2021-05-01\nFKPM,35.03.11.2001,2022-02-01\n"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("programmes", "import-adoptions", str(path), stdout=out, stderr=err)
    assert "2 adoptions imported" in out.getvalue()
    assert "2/2" in err.getvalue() and "#" in err.getvalue()
    assert ProgrammeAdoption.objects.count() == 2


def test_the_command_reports_every_bad_row_by_line(programme, tmp_path):
    path = tmp_path / "adopsi.csv"
    path.write_text(
        "programme_code,village_code,adopted_on\n"
        "FKPM,35.03.11.1002,2021-05-01\nNOPE,35.03.11.2001,2022-02-01\nFKPM,35.03.11.2002,kemarin\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("programmes", "import-adoptions", str(path), "--quiet", stderr=err)
    lines = [ln for ln in err.getvalue().splitlines() if ln.startswith(str(path))]
    assert [ln.split(":")[1] for ln in lines] == ["3", "4"]
    assert not ProgrammeAdoption.objects.exists()
    with pytest.raises(CommandError, match="Berkas tidak ditemukan"):
        call_command("programmes", "import-adoptions", str(tmp_path / "missing.csv"))
