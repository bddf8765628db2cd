"""Survey forms answered from a pemekaran's end on belong to the villages that replaced the
ended one: a resident is not offered it, staff typing in a paper form dated after the end get a
clear refusal (their entries kept), a form dated before is its history. And the results' table
names what it counts: activities held."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jaga.core.errors import DomainError
from jaga.surveys import services
from jaga.surveys.models import IkmResponse, TrustResponse
from tests.conftest import SPLIT_OFF, VILLAGE_A
from tests.surveys.conftest import SCORES
from tests.surveys.test_pages import _trust_post

pytestmark = pytest.mark.django_db


def test_residents_are_not_offered_an_ended_village(client: Client, ended_village):
    body = client.get(reverse("surveys:trust")).content.decode()
    assert f'value="{ended_village.pk}"' not in body and "Tamanan Baru" in body
    refused = client.post(reverse("surveys:trust"), _trust_post(village=ended_village.pk))
    assert refused.status_code == 200
    assert not TrustResponse.objects.exists()


def test_staff_entries_dated_from_the_end_on_are_refused_and_kept_on_the_form(
    satbinmas_client: Client, ended_village, polsek
):
    url = reverse("surveys:trust_entry")
    late = satbinmas_client.post(
        url, _trust_post(village=ended_village.pk, answered_on="2024-06-01")
    )
    assert late.status_code == 200
    body = late.content.decode()
    assert f"Kelurahan Tamanan ({VILLAGE_A}) berakhir pada 1 Juni 2024 (pemekaran)" in body
    assert f"Tamanan Baru ({SPLIT_OFF})" in body and 'value="2024-06-01"' in body
    assert not TrustResponse.objects.exists()
    early = _trust_post(village=ended_village.pk, answered_on="2024-05-31")
    assert satbinmas_client.post(url, early).status_code == 302
    assert TrustResponse.objects.get().village_id == ended_village.pk
    with translation.override("en"), pytest.raises(DomainError) as err:
        services.submit_ikm_response(
            village=ended_village,
            unit=polsek,
            scores=SCORES,
            answered_on=datetime.date(2024, 7, 1),
        )
    assert f"({VILLAGE_A}) ended on 1 June 2024 (pemekaran)" in str(err.value.message)
    assert not IkmResponse.objects.exists()


def test_the_results_table_counts_activities_held(bob_client: Client, village_a):
    url = reverse("surveys:results_for", args=["35.03.11"])
    body = bob_client.get(url).content.decode()
    assert '<th class="num">Kegiatan yang diadakan</th>' in body
    bob_client.cookies["django_language"] = "en"
    english = bob_client.get(url).content.decode()
    assert '<th class="num">Activities held</th>' in english
    assert '<th class="num">Activities</th>' not in english
