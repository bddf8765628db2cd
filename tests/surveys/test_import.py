"""Importing typed-in paper forms: all rows or none, every bad row reported by line."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import ImportFailed
from jaga.core.tabular import write_xlsx
from jaga.surveys.models import IkmResponse, TrustResponse
from jaga.surveys.services import IMPORT_COLUMNS, import_surveys

pytestmark = pytest.mark.django_db

HEADER = ",".join(IMPORT_COLUMNS["trust"])


def _csv(*lines: str) -> io.BytesIO:
    return io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode())


def test_a_good_file_is_imported_and_rolled_up(alice):
    count = import_surveys(
        "trust",
        _csv("35.03.11.1002,2024-02-03,4,3,5,4,ya,tidak", "35.03.11.1002,2024-02-04,2,2,3,3,1,1"),
        "forms.csv",
        actor=alice,
    )
    assert count == 2
    assert TrustResponse.objects.filter(channel="import").count() == 2
    assert MonthlyMetric.objects.get(metric="surveys.trust.n").value == 2


def test_one_bad_row_stops_the_whole_file_and_every_error_has_its_line(alice):
    with pytest.raises(ImportFailed) as caught:
        import_surveys(
            "trust",
            _csv(
                "35.03.11.1002,2024-02-03,4,3,5,4,ya,tidak",
                "35.03.11.1002,2024-02-03,9,3,5,4,ya,tidak",
                "35.03.02.2008,2024-02-03,4,3,5,4,ya,tidak",
                "35.03.11.1002,kemarin,4,3,5,4,ya,tidak",
            ),
            "forms.csv",
            actor=alice,
        )
    assert [e["line"] for e in caught.value.errors] == [3, 4, 5]
    assert "9" not in caught.value.errors[1]["error"]  # outside alice's village
    assert TrustResponse.objects.count() == 0
    assert MonthlyMetric.objects.count() == 0


def test_ikm_forms_from_an_xlsx_sheet(bob, district_ab):
    from jaga.territory.models import PoliceUnit

    PoliceUnit.objects.create(kind="polsek", name="Polsek Trenggalek", code="polsek-trenggalek")
    headers = IMPORT_COLUMNS["ikm"] + ["gender"]
    data = write_xlsx(
        headers, [["35.03.11.2001", "polsek-trenggalek", "2024-01-09", *[3] * 9, "f"]]
    )
    assert import_surveys("ikm", io.BytesIO(data), "ikm.xlsx", actor=bob) == 1
    assert IkmResponse.objects.get().gender == "f"


def test_the_import_page(alice_client, charlie_client, client):
    url = reverse("surveys:import")
    upload = SimpleUploadedFile(
        "forms.csv", (HEADER + "\n35.03.11.1002,2024-02-03,4,3,5,9,ya,tidak\n").encode()
    )
    page = alice_client.post(url, {"kind": "trust", "file": upload})
    assert page.status_code == 200
    assert page.context["errors"][0]["line"] == 2
    assert TrustResponse.objects.count() == 0
    assert alice_client.get(reverse("surveys:import_template", args=["ikm"])).status_code == 200
    assert client.get(url).status_code == 302
