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
from jaga.surveys.models import IkmResponse, TrustInvitation, TrustResponse
from jaga.territory.models import Territory
from tests.conftest import ENDED_ON, SPLIT_OFF, VILLAGE_A, VILLAGE_B, VILLAGE_C
from tests.surveys.conftest import SCORES, TRUST
from tests.surveys.test_pages import _trust_post

pytestmark = pytest.mark.django_db


def test_residents_are_not_offered_an_ended_village(client: Client, ended_village):
    body = client.get(reverse("surveys:trust")).content.decode()
    assert f'value="{ended_village.pk}"' not in body and "Tamanan Baru" in body
    # Each village named with its kind, as the other lists do (a desa and a kelurahan can share
    # a name).
    tamanan_baru = Territory.objects.get(code=SPLIT_OFF)
    assert f'<option value="{tamanan_baru.pk}">Trenggalek · Desa Tamanan Baru</option>' in body
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


def test_an_invitation_answered_from_its_village_s_end_on_goes_to_the_successor_chosen(
    village_a, admin_user
):
    """The invitation's village was fixed when it was sent; an answer dated from that village's
    end on is about a village that no longer exists: it is refused unless the resident chose one
    of the villages that replaced it (never guessed); the invitation stays open until then. An
    answer dated before the end is the ended village's history."""
    from jaga.territory.pemekaran import split_village

    sent = services.invite_after_close(ticket="T-END", village=village_a, phone="0812")
    early = services.invite_after_close(ticket="T-EARLY", village=village_a, phone="0813")
    split_village(
        VILLAGE_A, [VILLAGE_B, SPLIT_OFF], ENDED_ON, actor=admin_user,
        names={SPLIT_OFF: "Tamanan Baru"},
    )  # fmt: skip
    answer = {"answers": TRUST, "invitation_token": sent.token}
    with translation.override("id"), pytest.raises(DomainError) as err:
        services.submit_trust_response(village=None, **answer)
    assert err.value.code == "village_ended"
    assert err.value.params["replaced_by"] == [VILLAGE_B, SPLIT_OFF]
    assert str(err.value.message) == (
        "Kelurahan Tamanan, wilayah survei ini, berakhir pada 1 Juni 2024 (pemekaran). "
        "Pilih tempat tinggal Anda sekarang di antara penggantinya: Desa Ngares, Desa Tamanan Baru."
    )
    elsewhere = Territory.objects.get(code=VILLAGE_C)  # not one of them
    with pytest.raises(DomainError):
        services.submit_trust_response(village=elsewhere, **answer)
    assert not TrustResponse.objects.exists()
    assert TrustInvitation.objects.get(pk=sent.pk).answered_at is None
    chosen = Territory.objects.get(code=SPLIT_OFF)
    response = services.submit_trust_response(village=chosen, **answer)
    assert (response.village_id, response.channel) == (chosen.pk, "invitation")
    assert TrustInvitation.objects.get(pk=sent.pk).answered_at is not None
    before = services.submit_trust_response(
        village=None,
        answers=TRUST,
        invitation_token=early.token,
        answered_on=ENDED_ON - datetime.timedelta(days=1),
    )
    assert before.village.code == VILLAGE_A


def test_the_invitation_page_asks_for_the_successor_and_keeps_the_answers(
    client: Client, village_a, admin_user
):
    from jaga.territory.pemekaran import split_village

    invitation = services.invite_after_close(ticket="T-PAGE", village=village_a, phone="0812")
    split_village(
        VILLAGE_A, [VILLAGE_B, SPLIT_OFF], ENDED_ON, actor=admin_user,
        names={SPLIT_OFF: "Tamanan Baru"},
    )  # fmt: skip
    url = reverse("surveys:invited", args=[invitation.token])
    page = client.get(url).content.decode()
    assert "Kelurahan Tamanan, wilayah survei ini, berakhir pada 1 Juni 2024" in page
    chosen = Territory.objects.get(code=SPLIT_OFF)
    # The few successors are each shown, with their kind (radio buttons), none chosen for them.
    assert "Desa/kelurahan tempat tinggal Anda sekarang" in page
    assert f'type="radio" name="village" value="{chosen.pk}"' in page
    assert "Desa Tamanan Baru, Kec. Trenggalek" in page and "checked" not in page
    assert 'data-choose="select"' not in page  # nothing to type
    unchosen = client.post(url, _trust_post(trust_police=2))
    assert unchosen.status_code == 200 and not TrustResponse.objects.exists()
    assert 'value="2" id="id_trust_police_1" required checked' in unchosen.content.decode()
    assert client.post(url, _trust_post(village=chosen.pk)).status_code == 302
    assert TrustResponse.objects.get().village_id == chosen.pk


def test_an_invitation_of_a_village_ended_with_no_successor_recorded_cannot_be_answered(
    client: Client, village_a
):
    invitation = services.invite_after_close(ticket="T-NONE", village=village_a, phone="0812")
    Territory.objects.filter(pk=village_a.pk).update(valid_to=ENDED_ON)  # an old end, no change
    url = reverse("surveys:invited", args=[invitation.token])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "penggantinya belum tercatat" in body
    assert 'name="safe_home"' not in body
    assert client.post(url, _trust_post()).status_code == 200
    assert not TrustResponse.objects.exists()
