"""Survey forms round-trip: typed-in forms are corrected in place; online answers are kept."""

from __future__ import annotations

import datetime
import functools

import pytest

from jaga.analytics.models import MonthlyMetric
from jaga.core.errors import ImportFailed
from jaga.surveys import services
from jaga.surveys.models import Channel, IkmResponse, TrustResponse
from tests.partners.test_roundtrip import export_rows, run_import, writes_during


def trust_figures() -> dict[tuple[str, str, str], int]:
    return {
        (m.month.isoformat(), m.metric, m.key): m.value
        for m in MonthlyMetric.objects.filter(
            metric__startswith="surveys.trust", village__code="35.03.11.1002"
        )
        if m.value
    }


@pytest.fixture
def forms(village_a, village_c, bob):  # type: ignore[no-untyped-def]
    answers = {"safe_home": 4, "safe_night": 3, "trust_police": 5, "would_report": 4,
               "knows_bhabin": True, "was_visited": False}  # fmt: skip
    typed = services.submit_trust_response(
        village=village_a, answers=answers, channel=Channel.IMPORT,
        answered_on=datetime.date(2024, 2, 3), actor=bob,
    )  # fmt: skip
    online = services.submit_trust_response(
        village=village_a, answers=answers, answered_on=datetime.date(2024, 2, 4)
    )
    outside = services.submit_trust_response(
        village=village_c, answers=answers, channel=Channel.IMPORT,
        answered_on=datetime.date(2024, 2, 5),
    )  # fmt: skip
    return typed, online, outside


def test_trust_forms_round_trip(forms, bob, bob_client):
    typed, online, outside = forms
    header, rows = export_rows(bob_client, "/survei/impor/ekspor-trust/?format=xlsx")
    assert header[0] == "id" and [int(r[0]) for r in rows] == [typed.pk, online.pk]
    importer = services.import_survey_forms
    plan, writes = writes_during(
        lambda: run_import(importer, header, rows, kind="trust", actor=bob)
    )
    assert (plan.writes, plan.unchanged, writes) == (0, 2, [])
    # a corrected answer: exactly that form, and the monthly sums follow
    before = trust_figures()
    rows[0][header.index("trust_police")] = "2"
    plan = run_import(importer, header, rows, kind="trust", actor=bob)
    assert [(c.key, c.changes) for c in plan.updated] == [(typed.pk, {"trust_police": ("5", "2")})]
    after = trust_figures()
    assert after[("2024-02-01", "surveys.trust.sum", "trust_police")] == (
        before[("2024-02-01", "surveys.trust.sum", "trust_police")] - 3
    )
    assert (
        after[("2024-02-01", "surveys.trust.n", "")]
        == before[("2024-02-01", "surveys.trust.n", "")]
    )
    # a new row is a new form
    new = ["", rows[0][1], "2024-02-06", "3", "3", "3", "3", "1", "0", ""]
    assert len(run_import(importer, header, [*rows, new], kind="trust", actor=bob).added) == 1


def test_online_answers_and_outsiders_cannot_be_changed(forms, bob, bob_client):
    typed, online, outside = forms
    header, rows = export_rows(bob_client, "/survei/impor/ekspor-trust/?format=xlsx")
    rows[1][header.index("safe_home")] = "1"  # the online answer
    with pytest.raises(ImportFailed) as failed:
        run_import(services.import_survey_forms, header, rows, kind="trust", actor=bob)
    assert [e["line"] for e in failed.value.errors] == [3]
    rows[1][header.index("safe_home")] = "4"
    stolen = list(rows[0])
    stolen[0] = str(outside.pk)
    with pytest.raises(ImportFailed) as failed:
        run_import(services.import_survey_forms, header, [*rows, stolen], kind="trust", actor=bob)
    assert [e["line"] for e in failed.value.errors] == [4]
    assert TrustResponse.objects.get(pk=online.pk).safe_home == 4


def test_a_paper_form_entered_on_the_page_can_be_corrected(village_a, bob, bob_client):
    """The paper-form page stores `paper`: staff typed it in, so staff may correct it."""
    response = bob_client.post(
        "/survei/entri/aman/",
        {"village": village_a.pk, "answered_on": "2024-02-03", "safe_home": "4",
         "safe_night": "3", "trust_police": "5", "would_report": "4", "knows_bhabin": "1",
         "was_visited": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    paper = TrustResponse.objects.get()
    assert paper.channel == Channel.PAPER
    header, rows = export_rows(bob_client, "/survei/impor/ekspor-trust/?format=csv")
    rows[0][header.index("trust_police")] = "2"
    plan = run_import(services.import_survey_forms, header, rows, kind="trust", actor=bob)
    assert [(c.key, c.changes) for c in plan.updated] == [(paper.pk, {"trust_police": ("5", "2")})]
    assert TrustResponse.objects.get().trust_police == 2


def test_ikm_forms_round_trip_without_duplicates(village_a, polsek, bob, bob_client):
    scores = {f"u{i}": 3 for i in range(1, 10)}
    typed = services.submit_ikm_response(
        village=village_a, unit=polsek, scores=scores, channel=Channel.PAPER,
        service="SKCK", answered_on=datetime.date(2024, 2, 3), actor=bob,
    )  # fmt: skip
    for fmt in ("xlsx", "csv"):
        header, rows = export_rows(bob_client, f"/survei/impor/ekspor-ikm/?format={fmt}")
        assert header[0] == "id" and [int(r[0]) for r in rows] == [typed.pk]
        plan, writes = writes_during(
            functools.partial(
                run_import, services.import_survey_forms, header, rows, kind="ikm", actor=bob
            )
        )
        assert (plan.writes, plan.unchanged, writes) == (0, 1, [])
    assert IkmResponse.objects.count() == 1
    rows[0][header.index("u4")] = "1"
    new = ["", *rows[0][1:]]
    plan = run_import(services.import_survey_forms, header, [*rows, new], kind="ikm", actor=bob)
    assert [(c.key, c.changes) for c in plan.updated] == [(typed.pk, {"u4": ("3", "1")})]
    assert len(plan.added) == 1 and IkmResponse.objects.count() == 2


def test_a_village_ended_by_a_pemekaran_takes_the_forms_answered_before_its_end(
    forms, ended_village, bob, bob_client
):
    """A form is dated by its answer: the ended village keeps those answered before its end;
    one answered from that day on is refused naming the villages that replaced it."""
    from tests.conftest import SPLIT_OFF

    header, rows = export_rows(bob_client, "/survei/impor/ekspor-trust/?format=xlsx")
    at = header.index("answered_on")
    old, late, moved = list(rows[0]), list(rows[0]), list(rows[0])
    old[0] = late[0] = ""
    old[at], late[at] = "2024-05-31", "2024-06-01"
    moved[at] = "2024-06-03"  # the typed form of Tamanan, moved after the end
    before = list(TrustResponse.objects.values_list("pk", "answered_on", "village_id"))
    importer = services.import_survey_forms
    with pytest.raises(ImportFailed) as err:
        run_import(importer, header, [old, late, moved], kind="trust", actor=bob)
    assert [e["line"] for e in err.value.errors] == [3, 4]
    for e in err.value.errors:
        assert "Tamanan (35.03.11.1002) berakhir pada 1 Juni 2024 (pemekaran)" in e["error"], e
        assert f"Tamanan Baru ({SPLIT_OFF})" in e["error"]
    assert list(TrustResponse.objects.values_list("pk", "answered_on", "village_id")) == before
    assert len(run_import(importer, header, [old], kind="trust", actor=bob).added) == 1
