"""Drill-down: the lists that count incidents link to the records they count, within scope."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jaga.incidents.models import Category
from jaga.incidents.services import record_incident
from jaga.servicedesk import services
from jaga.servicedesk.models import Channel, Service, Status

pytestmark = pytest.mark.django_db


def _links(html: str, prefix: str) -> list[str]:
    return sorted(set(re.findall(rf'href="({prefix}[^"?]+)"', html)))


def test_counted_incidents_link_to_their_records_for_alice_and_404_for_charlie(
    village_a: Any,
    bob: Any,
    alice_client: Client,
    charlie_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    service = Service.objects.filter(category__isnull=False, sensitive=False).first()
    assert service is not None
    report, _created = services.submit_request(
        service=service,
        village=village_a,
        description="Pencurian ternak di kandang warga.",
        channel=Channel.WEB,
        anonymous=True,
    )
    services.transition_request(report, Status.TRIAGED, actor=bob)
    services.verify_request(report, actor=bob)
    report.refresh_from_db()
    imported = record_incident(
        category=Category.objects.get(code="pencurian"),
        village=village_a,
        occurred_at=report.received_at,
        source="import",
        source_ref="hist-1",
        actor=bob,
    )
    records = f"/analitik/catatan/?territory={village_a.code}"
    with django_assert_max_num_queries(20):
        page = alice_client.get(records)
    assert page.status_code == 200
    html = page.content.decode()
    incident_links = _links(html, "/kejadian/")
    assert incident_links == sorted(
        [f"/kejadian/{report.incident_id}/", f"/kejadian/{imported.pk}/"]
    )
    assert _links(html, "/layanan/tiket/") == [f"/layanan/tiket/{report.ticket}/"]
    for url in [*incident_links, f"/layanan/tiket/{report.ticket}/"]:
        assert alice_client.get(url).status_code == 200, url
        assert charlie_client.get(url).status_code == 404, url
    # the record page names the desk report it came from, with its link
    detail = alice_client.get(f"/kejadian/{report.incident_id}/").content.decode()
    assert f'href="/layanan/tiket/{report.ticket}/"' in detail
    # charlie cannot open the list of alice's village at all
    assert charlie_client.get(records).status_code == 404


@pytest.mark.usefixtures("frozen_clock")
def test_the_dashboard_counts_link_to_the_list_of_what_they_count(
    village_a: Any, bob: Any, alice_client: Client
) -> None:
    for ref, when in (
        ("hist-1", timezone.now() - datetime.timedelta(days=35)),
        ("hist-2", timezone.now()),
    ):
        # one in the dashboard's month (the last complete one), so the register covers it
        record_incident(
            category=Category.objects.get(code="pencurian"),
            village=village_a,
            occurred_at=when,
            source="import",
            source_ref=ref,
            actor=bob,
        )
    html = alice_client.get(f"/analitik/?territory={village_a.code}").content.decode()
    counted = re.findall(r'href="(/analitik/catatan/\?[^"]+)"', html)
    assert counted and all(f"territory={village_a.code}" in u for u in counted)
    for url in counted[:3]:
        assert alice_client.get(url.replace("&amp;", "&")).status_code == 200
