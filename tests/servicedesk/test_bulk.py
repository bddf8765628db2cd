"""Bulk work on the desk queue and saved, shared queue filters."""

from __future__ import annotations

from typing import Any

from django.test import Client

from jaga.core.models import AuditLog
from jaga.servicedesk import services
from jaga.servicedesk.models import BulkAction, SavedFilter, ServiceRequest, Status


def _tickets(*reports: ServiceRequest) -> list[str]:
    return [r.ticket for r in reports]


def test_bulk_assign_moves_each_report_through_the_workflow(
    file_report: Any, village_a: Any, village_b: Any, bob: Any, alice: Any
) -> None:
    a1, a2 = file_report(village_a), file_report(village_a)
    b1 = file_report(village_b)  # alice does not cover village B
    action = services.bulk_move(
        _tickets(a1, a2, b1), actor=bob, kind="assign", assignee=alice, note=""
    )
    assert sorted(action.done) == sorted(_tickets(a1, a2))
    assert [(r["ticket"], r["code"]) for r in action.refused] == [(b1.ticket, "bad_assignee")]
    for report in (a1, a2):
        report.refresh_from_db()
        assert report.status == Status.ASSIGNED and report.assignee == alice
        assert AuditLog.objects.filter(
            action="servicedesk.assigned", object_id=str(report.pk)
        ).exists()
    b1.refresh_from_db()
    assert b1.status == Status.RECEIVED and b1.assignee is None
    bulk_row = AuditLog.objects.get(action="servicedesk.bulk", object_id=str(action.pk))
    assert bulk_row.actor == bob and bulk_row.after["refused"][0]["ticket"] == b1.ticket


def test_bulk_reassigns_reports_already_in_hand(
    file_report: Any, village_a: Any, bob: Any, alice: Any
) -> None:
    report = file_report(village_a)
    services.transition_request(report, Status.ASSIGNED, actor=bob, assignee=bob)
    action = services.bulk_move([report.ticket], actor=bob, kind="assign", assignee=alice)
    assert action.done == [report.ticket]
    report.refresh_from_db()
    assert report.assignee == alice and report.status == Status.ASSIGNED


def test_bulk_status_refuses_by_name_what_may_not_move(
    file_report: Any, village_a: Any, bob: Any
) -> None:
    fresh = file_report(village_a)
    other = file_report(village_a)
    services.transition_request(other, Status.REJECTED, actor=bob, note="spam")
    action = services.bulk_move(
        _tickets(fresh, other), actor=bob, kind="status", to_status=Status.TRIAGED
    )
    assert action.done == [fresh.ticket]
    assert action.refused[0]["ticket"] == other.ticket
    assert action.refused[0]["code"] == "illegal_transition"
    # resolving needs a note, as it does one report at a time
    services.transition_request(fresh, Status.ASSIGNED, actor=bob, assignee=bob)
    action = services.bulk_move([fresh.ticket], actor=bob, kind="status", to_status="resolved")
    assert action.done == [] and action.refused[0]["code"] == "note_required"


def test_bulk_never_reaches_reports_outside_the_officers_area(
    file_report: Any, village_c: Any, bob: Any
) -> None:
    theirs = file_report(village_c)
    action = services.bulk_move([theirs.ticket], actor=bob, kind="status", to_status=Status.TRIAGED)
    assert action.done == [] and action.refused[0]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == Status.RECEIVED


def test_the_queue_page_moves_ticked_reports(
    file_report: Any, village_a: Any, village_b: Any, bob_client: Client
) -> None:
    a, b = file_report(village_a), file_report(village_b)
    response = bob_client.post(
        "/layanan/massal/",
        {
            "ticket": _tickets(a, b),
            "kind": "status",
            "status": "triaged",
            "note": "",
            "next": "status=open",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/layanan/?status=open"
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == {Status.TRIAGED}
    assert BulkAction.objects.get().done == _tickets(a, b)


def test_bulk_closing_and_rejecting_ask_for_confirmation(
    file_report: Any, village_a: Any, bob_client: Client
) -> None:
    report = file_report(village_a)
    data = {"ticket": [report.ticket], "kind": "status", "status": "rejected", "note": "spam"}
    page = bob_client.post("/layanan/massal/", data)
    assert page.status_code == 200 and report.ticket in page.content.decode()
    report.refresh_from_db()
    assert report.status == Status.RECEIVED and not BulkAction.objects.exists()
    bob_client.post("/layanan/massal/", data | {"confirmed": "1"})
    report.refresh_from_db()
    assert report.status == Status.REJECTED


def test_refusals_are_shown_by_ticket_with_the_reason(
    file_report: Any, village_a: Any, bob_client: Client
) -> None:
    report = file_report(village_a)
    response = bob_client.post(
        "/layanan/massal/",
        {"ticket": [report.ticket], "kind": "status", "status": "resolved", "note": ""},
        follow=True,
    )
    html = response.content.decode()
    assert report.ticket in html and "diselesaikan" in html.lower()


def test_saved_filters_are_private_or_shared_with_the_team(
    file_report: Any,
    village_a: Any,
    village_b: Any,
    bob_client: Client,
    alice_client: Client,
    charlie_client: Client,
    bob: Any,
) -> None:
    a, b = file_report(village_a), file_report(village_b)
    bob_client.post(
        "/layanan/filter/", {"name": "Tim-B-qz", "share": "on", "next": f"village={village_b.code}"}
    )
    bob_client.post("/layanan/filter/", {"name": "Mine", "next": "mine=on"})
    shared = SavedFilter.objects.get(name="Tim-B-qz")
    assert shared.territory_code == "35.03.11" and shared.params == {"village": village_b.code}
    assert SavedFilter.objects.get(name="Mine").territory_code == ""
    assert AuditLog.objects.filter(action="servicedesk.filter_saved").count() == 2
    # alice is posted to a village of bob's district: his shared filter is hers too
    page = alice_client.get("/layanan/").content.decode()
    assert "Tim-B-qz" in page and "Mine" not in page
    opened = bob_client.get("/layanan/", {"saved": shared.pk}).content.decode()
    assert b.ticket in opened and a.ticket not in opened
    # charlie's team is another district: neither the name nor the filter opens
    assert "Tim-B-qz" not in charlie_client.get("/layanan/").content.decode()
    assert charlie_client.get("/layanan/", {"saved": shared.pk}).status_code == 404
    # only the owner removes it
    alice_client.post("/layanan/filter/", {"delete": shared.pk})
    assert SavedFilter.objects.filter(pk=shared.pk).exists()
    bob_client.post("/layanan/filter/", {"delete": shared.pk})
    assert not SavedFilter.objects.filter(pk=shared.pk).exists()


def test_the_queue_with_bulk_and_filters_keeps_its_query_count(
    file_report: Any,
    village_a: Any,
    village_b: Any,
    bob: Any,
    bob_client: Client,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(3):
        file_report(village_a)
    services.save_filter(owner=bob, name="A", params={"village": village_a.code}, share=True)
    bob_client.get("/layanan/")  # warm the per-request caches that are not ours to count

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert bob_client.get("/layanan/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        file_report(village_b)
    services.save_filter(owner=bob, name="B", params={"village": village_b.code}, share=False)
    assert count() == few
    with django_assert_num_queries(few):
        html = bob_client.get("/layanan/").content.decode()
    assert html.count('name="ticket"') == 23


def test_the_queue_of_a_large_area_filters_by_a_typed_village(
    file_report: Any, village_a: Any, village_b: Any, bob_client: Client, monkeypatch: Any
) -> None:
    """Above SELECT_LIMIT villages the queue's village filter is a search box, not a list."""
    from jaga.core import choose

    monkeypatch.setattr(choose, "SELECT_LIMIT", 1)
    in_a, in_b = file_report(village_a), file_report(village_b)
    page = bob_client.get("/layanan/").content.decode()
    assert 'data-choose="village"' in page and f'value="{village_a.code}"' not in page
    label = f"{village_a.name}, Kec. {village_a.parent.name}"
    found = bob_client.get("/layanan/", {"village": label, "status": ""}).content.decode()
    assert in_a.ticket in found and in_b.ticket not in found
    by_code = bob_client.get("/layanan/", {"village": village_b.code, "status": ""})
    assert in_b.ticket in by_code.content.decode()
    nowhere = bob_client.get("/layanan/", {"village": "Atlantis", "status": ""}).content.decode()
    assert in_a.ticket not in nowhere and in_b.ticket not in nowhere
    assert "errorlist" in nowhere and "Atlantis" in nowhere  # the box says why


def test_a_bhabinkamtibmas_shares_with_the_whole_polsek_team(
    file_report: Any,
    village_a: Any,
    village_b: Any,
    alice: Any,
    alice_client: Client,
    bob_client: Client,
    charlie_client: Client,
    satbinmas_client: Client,
) -> None:
    """The team is the unit: alice (Bhabinkamtibmas of village A) shares with her Polsek, so
    dave, the Bhabinkamtibmas of village B under the same Polsek, sees it too; another Polsek
    and the Polres above do not."""
    from jaga.accounts.models import Role
    from tests.conftest import _person, client_for

    dave_client = client_for(_person("dave", Role.BHABIN, village_b.code))
    alice_client.post(
        "/layanan/filter/", {"name": "Patroli-qz", "share": "on", "next": "overdue=on"}
    )
    shared = SavedFilter.objects.get(name="Patroli-qz")
    assert shared.territory_code == "35.03.11"
    for teammate in (dave_client, bob_client):
        assert "Patroli-qz" in teammate.get("/layanan/").content.decode()
        assert teammate.get("/layanan/", {"saved": shared.pk}).status_code == 200
    for outsider in (charlie_client, satbinmas_client):
        assert "Patroli-qz" not in outsider.get("/layanan/").content.decode()
        assert outsider.get("/layanan/", {"saved": shared.pk}).status_code == 404


def test_sharing_without_a_unit_is_refused_in_words(admin_client_: Client) -> None:
    page = admin_client_.post(
        "/layanan/filter/", {"name": "Semua", "share": "on", "next": "status=open"}, follow=True
    )
    assert "Anda tidak ditempatkan" in page.content.decode()
    assert not SavedFilter.objects.exists()


def test_a_tampered_bulk_post_changes_nothing_outside_the_officers_reach(
    file_report: Any,
    village_a: Any,
    village_c: Any,
    bob: Any,
    charlie: Any,
    bob_client: Client,
) -> None:
    """Bob ticks a report he may triage, one already rejected, and (editing the form) one of
    charlie's district: the first moves, the others are named with the reason in Indonesian."""
    ok, done_with = file_report(village_a), file_report(village_a)
    services.transition_request(done_with, Status.REJECTED, actor=bob, note="spam")
    theirs = file_report(village_c)
    page = bob_client.post(
        "/layanan/massal/",
        {"ticket": _tickets(ok, done_with, theirs), "kind": "status", "status": "triaged"},
        follow=True,
    ).content.decode()
    assert "1 laporan diubah." in page
    assert f"{done_with.ticket} tidak diubah:" in page
    assert f"{theirs.ticket} tidak diubah: Tidak ada laporan tersebut di wilayah Anda." in page
    assert theirs.village.name not in page  # the refusal confirms nothing about it
    statuses = dict(ServiceRequest.objects.values_list("ticket", "status"))
    assert statuses == {
        ok.ticket: Status.TRIAGED,
        done_with.ticket: Status.REJECTED,
        theirs.ticket: Status.RECEIVED,
    }
    # An officer of another district, named by editing the form, is refused before anything.
    page = bob_client.post(
        "/layanan/massal/",
        {"ticket": [ok.ticket], "kind": "assign", "assignee": str(charlie.pk)},
        follow=True,
    ).content.decode()
    assert "bukan salah satu dari pilihan yang tersedia" in page
    assert "Pilih petugas yang ditugaskan." not in page  # one reason, not two
    ok.refresh_from_db()
    assert ok.status == Status.TRIAGED and ok.assignee is None
    assert BulkAction.objects.count() == 1


def test_a_report_changed_since_the_queue_was_shown_is_refused_as_a_conflict(
    file_report: Any, village_a: Any, alice: Any, bob: Any, bob_client: Client
) -> None:
    """As on the report's own page: bob's queue showed both reports waiting; alice took one in
    the meantime; bob's bulk assignment to himself does not silently take it from her."""
    taken, waiting = file_report(village_a), file_report(village_a)
    html = bob_client.get("/layanan/").content.decode()
    assert f'name="version_{taken.ticket}" value="{taken.version}"' in html
    seen = {f"version_{r.ticket}": str(r.version) for r in (taken, waiting)}
    services.transition_request(taken, Status.ASSIGNED, actor=alice, assignee=alice)
    page = bob_client.post(
        "/layanan/massal/",
        {"ticket": _tickets(taken, waiting), "kind": "assign", "assignee": str(bob.pk)} | seen,
        follow=True,
    ).content.decode()
    assert f"{taken.ticket} tidak diubah: Petugas lain baru saja mengubah laporan ini" in page
    taken.refresh_from_db()
    waiting.refresh_from_db()
    assert taken.assignee == alice and waiting.assignee == bob
    assert BulkAction.objects.get().refused[0]["code"] == "conflict"


def test_the_confirmation_page_carries_the_versions_seen(
    file_report: Any, village_a: Any, bob: Any, bob_client: Client
) -> None:
    report = file_report(village_a)
    data = {
        "ticket": [report.ticket],
        "kind": "status",
        "status": "rejected",
        "note": "spam",
        f"version_{report.ticket}": str(report.version),
    }
    page = bob_client.post("/layanan/massal/", data).content.decode()
    assert f'name="version_{report.ticket}" value="{report.version}"' in page
    services.transition_request(report, Status.TRIAGED, actor=bob)
    bob_client.post("/layanan/massal/", data | {"confirmed": "1"})
    report.refresh_from_db()
    assert report.status == Status.TRIAGED  # changed while bob was reading the confirmation
