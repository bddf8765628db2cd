"""Public outputs publish only what is meant to be public (issue 10, item 2).

Sensitive services leave no trace in any public output; free text and photos only as a version a
staff member approved; places only as the village; the reporter's private tracking code, not the
listed ticket, is the key to the notes and to writing as the reporter.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from jaga.core.errors import DomainError
from jaga.core.models import AuditLog
from jaga.servicedesk import queries, services
from jaga.servicedesk.models import Attachment, Moderation, Service, ServiceRequest, Status
from jaga.territory.models import Territory
from tests.servicedesk.test_pages import jpeg_with_gps, upload

O311 = "/open311/v2/"
API = "/api/v1/servicedesk"
SECRET_TEXT = "Suami Pak Darmo memukul istrinya, hubungi 0812-3456-7890"
POINT = (-8.0612345, 111.7154321)


def answers_for(service: Service) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in service.questions.all():
        if q.required:
            first = q.values[0]["key"] if q.values else "ya"
            out[q.code] = [first] if q.datatype == "multivaluelist" else first
    return out


def read(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


def same_page(body: bytes, ticket: str) -> bytes:
    """The page without the asked-for ticket and the form's CSRF token (masked afresh each time)."""
    body = re.sub(rb"\b[A-Za-z0-9]{64}\b", b"", body)  # CSRF tokens, masked afresh each time
    return body.replace(ticket.encode(), b"")


def public_bodies(client: Client, report: ServiceRequest, photo: Attachment | None) -> list[Any]:
    """Every public output of the desk that could mention the report."""
    village = report.village.code
    code = report.service.code
    responses = []
    for fmt in ("json", "xml"):
        responses += [
            client.get(O311 + f"requests.{fmt}"),
            client.get(O311 + f"requests.{fmt}", {"service_code": code}),
            client.get(O311 + f"requests.{fmt}", {"service_request_id": report.ticket}),
            client.get(O311 + f"requests.{fmt}", {"status": "open"}),
            client.get(O311 + f"requests/{report.ticket}.{fmt}"),
            client.get(O311 + f"tokens/{report.token}.{fmt}"),
        ]
    responses += [
        client.get(f"/layanan/lacak/{report.ticket}/"),
        client.get("/layanan/lacak/", {"ticket": report.ticket}, follow=True),
        client.get(f"{API}/track/{report.ticket}"),
        client.get(f"{API}/nearby", {"service_code": code, "village_code": village}),
        client.get(f"/layanan/lapor/{code}/", {"desa": village}),
    ]
    if photo is not None:
        responses.append(client.get(f"/layanan/lacak/{report.ticket}/foto/{photo.pk}/"))
    return responses


def file_with_photo(service: Service, village: Territory, **extra: Any) -> ServiceRequest:
    report, _created = services.submit_request(
        service=service,
        village=village,
        description=SECRET_TEXT,
        channel="web",
        anonymous=False,
        reporter_name="Sri Wahyuni",
        phone="081298765432",
        latitude=POINT[0],
        longitude=POINT[1],
        answers=answers_for(service),
        photos=[upload("a.jpg", jpeg_with_gps())],
        **extra,
    )
    return report


def test_sensitive_services_leave_no_trace_in_any_public_output(
    client: Client, units: dict, village_a: Any, bob: Any
) -> None:
    sensitive = list(Service.objects.filter(sensitive=True).prefetch_related("questions"))
    assert {"kdrt", "pasung"} <= {s.code for s in sensitive}
    Territory.objects.filter(pk=village_a.pk).update(latitude=-8.05, longitude=111.71)
    village_a.refresh_from_db()
    for service in sensitive:
        report = file_with_photo(service, village_a)
        services.transition_request(report, Status.TRIAGED, actor=bob, note="Korban sudah aman.")
        photo = report.photos.get()
        # Even a photo an officer tries to publish stays private.
        with pytest.raises(DomainError):
            services.set_photo_public(photo, True, actor=bob)
        with pytest.raises(DomainError):
            services.moderate_request(report, actor=bob, approve=True, public_text="Ada KDRT.")
        for response in public_bodies(client, report, photo):
            assert response.status_code in (200, 404), response.request
            body = read(response)
            if response.status_code == 404:
                # A 404 may echo the ticket that was asked for, nothing else.
                body = body.replace(report.ticket, "")
            traces = [report.ticket, "Darmo", "Korban sudah aman"]
            if response.request["PATH_INFO"].startswith(("/open311/", "/api/")):
                traces += [service.name, f'"{service.code}"', f">{service.code}<"]
            for trace in traces:
                assert trace not in body, (service.code, response.request, trace)
        # Not even existence shows: the answer is the one for a ticket that does not exist.
        for url in (O311 + "requests/{}.json", O311 + "requests/{}.xml", "/layanan/lacak/{}/"):
            real = client.get(url.format(report.ticket))
            forged = client.get(url.format("FORGED2345"))
            assert real.status_code == forged.status_code == 404
            assert same_page(real.content, report.ticket) == same_page(forged.content, "FORGED2345")
        assert client.get(O311 + f"requests/{report.ticket}.json").status_code == 404
        assert client.get(f"/layanan/lacak/{report.ticket}/").status_code == 404
        assert client.get(f"{API}/track/{report.ticket}").status_code == 404
        # The reporter, with the private code, still follows it.
        mine = client.get(f"{API}/track/{report.ticket}", HTTP_X_TRACKING_CODE=report.tracking_code)
        assert mine.status_code == 200 and mine.json()["updates"][-1]["text"] == (
            "Korban sudah aman."
        )
        cache.clear()  # the public rate limit of the test client
    assert not queries.publishable_requests().filter(service__sensitive=True).exists()
    assert set(queries.public_service_codes()).isdisjoint({s.code for s in sensitive})


def test_text_and_photos_are_public_only_after_a_staff_member_approves(
    client: Client, bob_client: Client, units: dict, village_a: Any, bob: Any
) -> None:
    service = Service.objects.get(code="balap_liar")
    report = file_with_photo(service, village_a)
    photo = report.photos.get()
    photo_url = f"/layanan/lacak/{report.ticket}/foto/{photo.pk}/"
    row = client.get(O311 + f"requests/{report.ticket}.json").json()[0]
    assert row["description"] == "" and row["media_url"] == ""
    assert client.get(photo_url).status_code == 404
    assert "Darmo" not in client.get(f"/layanan/lacak/{report.ticket}/").content.decode()

    # The queue lists it; the proposal has the phone number and the reporter's name removed.
    queue = bob_client.get("/layanan/moderasi/")
    assert queue.status_code == 200 and report.ticket in queue.content.decode()
    form = bob_client.get(f"/layanan/moderasi/{report.ticket}/")
    assert form.status_code == 200
    proposal = form.context["form"].initial["public_text"]
    assert "0812-3456-7890" not in proposal and "Darmo" in proposal

    # A text that still holds a phone number is refused and nothing changes.
    refused = bob_client.post(
        f"/layanan/moderasi/{report.ticket}/",
        {"public_text": SECRET_TEXT, "decision": "approve", f"photo_{photo.pk}": "1"},
    )
    assert refused.status_code == 400 and "0812-3456-7890" in refused.content.decode()
    report.refresh_from_db()
    photo.refresh_from_db()
    assert report.moderation == Moderation.PENDING and not photo.public

    approved = bob_client.post(
        f"/layanan/moderasi/{report.ticket}/",
        {
            "public_text": "Warga melaporkan balap liar di jalan desa.",
            "decision": "approve",
            f"photo_{photo.pk}": "1",
        },
    )
    assert approved.status_code == 302
    for fmt in ("json", "xml"):
        body = client.get(O311 + f"requests/{report.ticket}.{fmt}").content.decode()
        assert "Warga melaporkan balap liar di jalan desa." in body
        assert "Darmo" not in body and "0812" not in body
    row = client.get(O311 + f"requests/{report.ticket}.json").json()[0]
    assert row["media_url"].endswith(photo_url)
    shown = client.get(photo_url)
    assert shown.status_code == 200 and read(shown)
    page = client.get(f"/layanan/lacak/{report.ticket}/").content.decode()
    assert "Warga melaporkan balap liar" in page and "Darmo" not in page
    waiting = bob_client.get("/layanan/moderasi/").context["page"].object_list
    assert report not in list(waiting)
    audit = AuditLog.objects.get(action="servicedesk.moderated")
    assert audit.actor == bob and audit.after["moderation"] == "approved"

    # Rejecting takes the text and the photo back out of public view.
    services.moderate_request(report, actor=bob, approve=False, photos={photo.pk: False})
    row = client.get(O311 + f"requests/{report.ticket}.json").json()[0]
    assert row["description"] == "" and row["media_url"] == ""
    assert client.get(photo_url).status_code == 404


def test_the_moderation_pages_are_for_desk_staff_in_scope(
    client: Client,
    alice_client: Client,
    charlie_client: Client,
    units: dict,
    village_a: Any,
    partner: Any,
) -> None:
    from tests.conftest import client_for

    report = file_with_photo(Service.objects.get(code="miras"), village_a)
    url = f"/layanan/moderasi/{report.ticket}/"
    assert alice_client.get(url).status_code == 200
    assert report.ticket in alice_client.get("/layanan/moderasi/").content.decode()
    home = alice_client.get("/").content.decode()
    assert "/layanan/moderasi/" in home and "menunggu versi publik" in home
    assert charlie_client.get(url).status_code == 404
    assert report.ticket not in charlie_client.get("/layanan/moderasi/").content.decode()
    assert client_for(partner).get("/layanan/moderasi/").status_code == 403  # not a desk role
    assert client.get(url).status_code == 302  # to the login page
    kdrt = file_with_photo(Service.objects.get(code="kdrt"), village_a, idempotency_key="k")
    assert alice_client.get(f"/layanan/moderasi/{kdrt.ticket}/").status_code == 404
    assert kdrt.ticket not in alice_client.get("/layanan/moderasi/").content.decode()


def test_the_ticket_alone_reads_no_notes_and_cannot_write_as_the_reporter(
    client: Client, file_report: Any, village_a: Any, bob: Any
) -> None:
    report = file_report(village_a, anonymous=False, phone="081298765432")
    services.add_update(report, "Kami akan menghubungi Anda besok.", actor=bob, public=True)
    page = f"/layanan/lacak/{report.ticket}/"
    assert "menghubungi Anda" not in client.get(page).content.decode()
    assert "menghubungi Anda" not in client.get(f"{API}/track/{report.ticket}").content.decode()
    assert client.post(page, {"text": "Saya pelapornya."}).status_code == 403
    api_note = client.post(
        f"{API}/track/{report.ticket}/notes",
        json.dumps({"text": "Saya pelapornya."}),
        content_type="application/json",
    )
    assert api_note.status_code == 403
    with pytest.raises(services.TrackingCodeRequired):
        services.add_reporter_note(report, "Saya pelapornya.")
    assert not report.updates.filter(from_reporter=True).exists()

    # The code opens both, through the form (POST), the link and the API header.
    reporter = Client()
    typed = reporter.post(
        "/layanan/lacak/", {"ticket": report.ticket, "code": report.tracking_code.lower()}
    )
    assert typed.status_code == 302
    assert "menghubungi Anda" in reporter.get(page).content.decode()
    assert reporter.post(page, {"text": "Pelakunya datang lagi."}).status_code == 302
    api_note = client.post(
        f"{API}/track/{report.ticket}/notes",
        json.dumps({"text": "Dan tadi pagi."}),
        content_type="application/json",
        HTTP_X_TRACKING_CODE=report.tracking_code,
    )
    assert api_note.status_code == 201
    assert report.updates.filter(from_reporter=True).count() == 2
    wrong = Client().post("/layanan/lacak/", {"ticket": report.ticket, "code": "B" * 16})
    assert wrong.status_code == 403

    # A new code from the desk shuts out the old code and the sessions that used it.
    new = services.issue_tracking_code(report, actor=bob)
    assert not services.check_tracking_code(report, report.tracking_code)
    assert services.check_tracking_code(report, new)
    assert "menghubungi Anda" not in reporter.get(page).content.decode()
    assert AuditLog.objects.filter(action="servicedesk.tracking_code_issued").count() == 1
    assert new not in json.dumps(list(AuditLog.objects.values_list("after", flat=True)))


def test_the_confirmation_page_shows_the_code_once_and_only_its_hash_is_stored(
    client: Client, units: dict
) -> None:
    form = {
        "desa": "35.03.11.1002",
        "description": "Balap liar setiap malam minggu.",
        "q_waktu": "malam",
        "anonymous": "on",
        "idempotency_key": "once-1",
    }
    response = client.post("/layanan/lapor/balap_liar/", form, follow=True)
    report = ServiceRequest.objects.get()
    code = response.context["new_code"]
    assert services.check_tracking_code(report, code) and code not in report.secret_hash
    assert len(report.secret_hash) == 64
    # The browser that reported follows it; the code is not shown a second time.
    again = client.get(f"/layanan/lacak/{report.ticket}/?baru=1")
    assert again.context["private"] is True and again.context["new_code"] == ""
    # A retried submission does not hand out a code.
    retry = client.post("/layanan/lapor/balap_liar/", form, follow=True)
    assert retry.context["new_code"] == ""


def test_staff_give_a_walk_in_reporter_the_code_once(bob_client: Client, units: dict) -> None:
    response = bob_client.post(
        "/layanan/baru/?layanan=kdrt",
        {
            "layanan": "kdrt",
            "desa": "35.03.11.1002",
            "channel": "walk_in",
            "description": "Korban datang ke Polsek.",
            "q_aman": "ya",
            "anonymous": "on",
            "idempotency_key": "walk-1",
        },
        follow=True,
    )
    report = ServiceRequest.objects.get()
    assert response.status_code == 200
    assert services.check_tracking_code(report, response.context["new_code"])
    # The reporter lost it: the desk issues a new one, shown once; the old one stops working.
    first = response.context["new_code"]
    again = bob_client.post(f"/layanan/tiket/{report.ticket}/code/", follow=True)
    report.refresh_from_db()
    assert again.status_code == 200 and again.context["new_code"] != first
    assert services.check_tracking_code(report, again.context["new_code"])
    assert not services.check_tracking_code(report, first)
    assert bob_client.get(f"/layanan/tiket/{report.ticket}/").context["new_code"] == ""


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_public_places_are_the_village_centre_never_the_point(
    client: Client, units: dict, village_a: Any, village_b: Any, fmt: str
) -> None:
    Territory.objects.filter(pk=village_a.pk).update(latitude=-8.05, longitude=111.71)
    service = Service.objects.get(code="curanmor")
    with_centre = file_with_photo(service, Territory.objects.get(pk=village_a.pk))
    without = file_with_photo(service, village_b, idempotency_key="b")
    body = client.get(O311 + f"requests.{fmt}").content.decode()
    for digits in ("8.061", "111.715", "0612345", "7154321"):
        assert digits not in body
    if fmt == "json":
        rows = {r["service_request_id"]: r for r in json.loads(body)}
        assert (rows[with_centre.ticket]["lat"], rows[with_centre.ticket]["long"]) == (
            -8.05,
            111.71,
        )
        assert rows[without.ticket]["lat"] == "" and rows[without.ticket]["long"] == ""
    # The public duplicate hint answers by village, never by point.
    near = client.get(
        f"{API}/nearby",
        {
            "service_code": "curanmor",
            "village_code": village_b.code,
            "lat": POINT[0],
            "long": POINT[1],
        },
    ).json()
    assert [r["ticket"] for r in near] == [without.ticket]


def test_reporters_of_older_reports_are_sent_a_code_once(
    file_report: Any, village_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import io

    from django.core.management import call_command

    from jaga.core.gateways import LoggingGateway

    older = file_report(village_a, anonymous=False, phone="081298765432")
    silent = file_report(village_a, idempotency_key="anon")  # anonymous: no contact
    ServiceRequest.objects.update(secret_hash="")  # as migration 0004 leaves them
    LoggingGateway.sent.clear()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("servicedesk", "send-tracking-codes", stdout=out)
    assert "1 reporters" in out.getvalue()
    to, text = LoggingGateway.sent[-1]
    assert to == "081298765432"
    code = re.search(r"\b[2-9A-Z]{16}\b", text).group(0)  # type: ignore[union-attr]
    older.refresh_from_db()
    silent.refresh_from_db()
    assert services.check_tracking_code(older, code) and silent.secret_hash == ""
    call_command("servicedesk", "send-tracking-codes", stdout=out)
    assert "0 reporters" in out.getvalue()


def test_the_moderation_queue_and_the_feed_do_not_grow_queries_with_reports(
    client: Client, bob_client: Client, units: dict, village_a: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    service = Service.objects.get(code="miras")

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queue:
            assert bob_client.get("/layanan/moderasi/").status_code == 200
        with CaptureQueriesContext(connection) as feed:
            assert client.get(O311 + "requests.json").status_code == 200
        return len(queue), len(feed)

    for i in range(2):
        file_with_photo(service, village_a, idempotency_key=f"a{i}")
    few = counts()
    for i in range(4):
        file_with_photo(service, village_a, idempotency_key=f"b{i}")
    assert counts() == few


@given(
    before=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60),
    digits=st.text(alphabet="0123456789", min_size=8, max_size=11),
    prefix=st.sampled_from(["08", "+628", "628", "0 8", "+62 8"]),
    separator=st.sampled_from(["", "-", " ", "."]),
    nik=st.text(alphabet="0123456789", min_size=16, max_size=16),
)
@settings(max_examples=60, deadline=None)
def test_the_proposed_public_text_never_keeps_a_phone_email_or_nik(
    before: str, digits: str, prefix: str, separator: str, nik: str
) -> None:
    phone = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    text = f"{before} hubungi {phone} atau budi.s@mail.example, NIK {nik}. {before}"
    report = ServiceRequest(description=text, reporter_name="")
    proposal = services.propose_public_text(report)
    assert services.personal_data_in(proposal) == []
    assert phone not in proposal and nik not in proposal and "budi.s@mail.example" not in proposal
    assert phone in services.personal_data_in(text)
