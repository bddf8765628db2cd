"""Choosing places, people and organisations by name (jaga.core.choose)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from jaga.core.choose import KINDS, ChooseField, ChooseForm, resolve, search
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _labels(response: Any) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return [r["label"] for r in response.json()["results"]]


def test_a_village_is_found_by_name_and_answered_with_its_district(alice_client: Client) -> None:
    found = alice_client.get("/pilih/desa/", {"q": "taman"}).json()["results"]
    assert found == [{"value": "35.03.11.1002", "label": "Tamanan, Kec. Trenggalek"}]


def test_the_search_keeps_to_the_users_area(
    alice_client: Client, charlie_client: Client, satbinmas_client: Client
) -> None:
    # Tamanan lies in Kecamatan Trenggalek: Charlie (Kapolsek of Munjungan) is not offered it.
    assert _labels(charlie_client.get("/pilih/desa/", {"q": "Tamanan"})) == []
    # Five villages called Tamanan exist in Indonesia; the regency's Satbinmas sees its one.
    assert _labels(satbinmas_client.get("/pilih/desa/", {"q": "Tamanan"})) == [
        "Tamanan, Kec. Trenggalek"
    ]
    # Pakel: two villages of Trenggalek, both offered with their districts to tell them apart.
    assert sorted(_labels(satbinmas_client.get("/pilih/desa/", {"q": "Pakel"}))) == [
        "Pakel, Kec. Pule",
        "Pakel, Kec. Watulimo",
    ]
    assert _labels(alice_client.get("/pilih/desa/", {"q": "Pakel"})) == []


def test_names_not_codes_and_nothing_for_one_letter(satbinmas_client: Client) -> None:
    assert _labels(satbinmas_client.get("/pilih/desa/", {"q": "35.03.11"})) == []
    assert _labels(satbinmas_client.get("/pilih/desa/", {"q": "T"})) == []
    districts = _labels(satbinmas_client.get("/pilih/kecamatan/", {"q": "Treng"}))
    assert districts == ["Kec. Trenggalek, Kabupaten Trenggalek"]
    areas = _labels(satbinmas_client.get("/pilih/wilayah/", {"q": "Trenggalek"}))
    assert "Kabupaten Trenggalek" in areas and "Kec. Trenggalek, Kabupaten Trenggalek" in areas


def test_within_narrows_the_search_to_an_area(satbinmas_client: Client) -> None:
    found = _labels(satbinmas_client.get("/pilih/desa/", {"q": "Pakel", "within": "35.03.08"}))
    assert found == ["Pakel, Kec. Watulimo"]


def test_residents_are_refused_and_anonymous_sent_to_log_in(client: Client) -> None:
    from jaga.accounts.models import Role
    from jaga.territory.models import Territory
    from tests.factories import PostingFactory

    resident = UserFactory(username="warga")
    PostingFactory(user=resident, role=Role.PUBLIC, territory=Territory.objects.get(code="35.03"))
    for url in ["/pilih/desa/", "/pilih/orang/", "/pilih/organisasi/"]:
        assert client_for(resident).get(url, {"q": "Tamanan"}).status_code == 403
        assert client.get(url, {"q": "Tamanan"}).status_code == 302


def test_a_unique_name_resolves_and_a_shared_one_lists_the_places(
    alice: Any, satbinmas: Any, charlie: Any
) -> None:
    village = KINDS["village"]
    assert resolve(village, alice, "Tamanan").code == "35.03.11.1002"
    assert resolve(village, alice, "tamanan ").code == "35.03.11.1002"
    assert resolve(village, alice, "Kelurahan Tamanan").code == "35.03.11.1002"
    assert resolve(village, alice, "35.03.11.1002").code == "35.03.11.1002"
    with pytest.raises(ValidationError) as outside:
        resolve(village, charlie, "Tamanan")
    assert "Tamanan" in outside.value.messages[0]
    with pytest.raises(ValidationError):
        resolve(village, charlie, "35.03.11.1002")  # a code outside the area is no way round
    with pytest.raises(ValidationError) as shared:
        resolve(village, satbinmas, "Pakel")
    assert "Pakel, Kec. Pule" in shared.value.messages[0]
    assert "Pakel, Kec. Watulimo" in shared.value.messages[0]
    # The label the widget shows (or the error listed) picks one of them.
    assert resolve(village, satbinmas, "Pakel, Kec. Watulimo").code == "35.03.08.2004"
    # Besuki is in Panggul and in Munjungan: Charlie only has Munjungan's.
    assert resolve(village, charlie, "Besuki").code == "35.03.02.2009"
    assert resolve(KINDS["district"], satbinmas, "Kec. Pogalan").code == "35.03.12"


def test_a_near_miss_is_suggested(satbinmas: Any) -> None:
    # One village contains "ngantr": taken; several contain "rejo": listed back.
    assert resolve(KINDS["village"], satbinmas, "ngantr").code == "35.03.11.1003"
    with pytest.raises(ValidationError) as several:
        resolve(KINDS["village"], satbinmas, "rejo")
    assert "?" in several.value.messages[0]


def test_a_form_field_takes_a_name_and_gives_the_code(alice: Any, charlie: Any) -> None:
    class VillageForm(ChooseForm):
        village = ChooseField("village")

    form = VillageForm({"village": "Tamanan"}, user=alice)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["village"] == "35.03.11.1002"
    refused = VillageForm({"village": "Tamanan"}, user=charlie)
    assert not refused.is_valid()
    assert "Tamanan" in refused.errors["village"][0]
    # A stored code is shown as its label, which resolves back to it.
    shown = VillageForm(initial={"village": "35.03.11.1002"}, user=alice)
    assert 'value="Tamanan, Kec. Trenggalek"' in str(shown["village"])
    assert 'data-choose="village"' in str(shown["village"])


def test_the_search_function_prefers_names_that_start_with_the_text(satbinmas: Any) -> None:
    labels = [r["label"] for r in search(KINDS["village"], satbinmas, "sumber")]
    assert labels and all("umber" in label for label in labels)
    assert labels[0].startswith("Sumber")
