"""The Anev form for the whole country: a box that finds a regency or district by name instead of
a <select> of all 7,799 of them; a Polres (and a Polda, 704 areas) keeps its select."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jaga.reports.models import ReportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(monkeypatch: Any) -> None:
    """A select may hold 5 areas: Trenggalek's regency and 14 districts are "too many"."""
    from jaga.reports import forms, views

    monkeypatch.setattr(forms, "SELECT_LIMIT", 5)
    monkeypatch.setattr(views, "SELECT_LIMIT", 5)


def test_a_regency_keeps_its_select(leader_client: Any) -> None:
    form = leader_client.get(reverse("reports:anev")).context["form"]
    codes = [code for code, _label in form.fields["territory"].choices]
    assert codes[0] == "35.03" and "35.03.11" in codes and len(codes) == 15
    assert 'data-choose="' not in str(form["territory"])


@pytest.mark.usefixtures("small_limit")
def test_too_many_areas_get_a_name_box(leader_client: Any, demo_month: Any) -> None:
    page = leader_client.get(reverse("reports:anev")).content.decode()
    assert "<select" not in page.split('name="territory"')[0].rsplit("<div>", 1)[-1]
    assert 'name="territory"' in page and '<option value="35.03.11"' not in page
    response = leader_client.post(
        reverse("reports:anev"),
        {"territory": "Kec. Trenggalek", "month": "2022-01", "language": "id"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert ReportJob.objects.get().territory.code == "35.03.11"


@pytest.mark.usefixtures("small_limit")
def test_the_name_box_refuses_a_village_and_places_outside(
    leader_client: Any, charlie_client: Any, demo_month: Any
) -> None:
    village = leader_client.post(
        reverse("reports:anev"), {"territory": "35.03.11.1002", "month": "2022-01"}
    )
    assert "Pilih kabupaten atau kecamatan" in str(village.context["form"].errors["territory"])
    outside = charlie_client.post(
        reverse("reports:anev"), {"territory": "35.03.11", "month": "2022-01", "language": "id"}
    )
    assert "territory" in outside.context["form"].errors
    assert not ReportJob.objects.exists()
