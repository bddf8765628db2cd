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


def _counted(html: str) -> list[tuple[str, int]]:
    """Every link to the records page whose text is a count, with that count."""
    found = []
    for url, text in re.findall(r'href="(/analitik/catatan/\?[^"]+)"[^>]*>([^<]*)<', html):
        number = text.split(" ")[0].replace(".", "")
        if number.isdigit():
            found.append((url.replace("&amp;", "&"), int(number)))
    return found


def _listed(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return int(response.context["page"].paginator.count)


def _incident(village: Any, when: datetime.datetime, ref: str, **point: float) -> Any:
    return record_incident(
        category=Category.objects.get(code="pencurian"),
        village=village,
        occurred_at=when,
        source="import",
        source_ref=ref,
        **point,
    )


@pytest.mark.usefixtures("frozen_clock")
def test_every_count_of_an_areas_tables_lists_exactly_what_it_counts(
    village_a: Any, village_b: Any, village_c: Any, bob: Any, bob_client: Client, admin_user: Any
) -> None:
    """The district's 12-month column, its CompStat totals and the participation table each
    link to a list of as many records as the figure says: the same months, and for a village
    row its own code only (a village split off another counts nothing of its own yet)."""
    from jaga.core.months import add_months, months_between
    from tests.analytics.conftest import put_metric

    now = timezone.now()
    _incident(village_a, now - datetime.timedelta(days=40), "in-12")
    _incident(village_a, now - datetime.timedelta(days=500), "before-12")  # in the 24 months
    _incident(village_b, now - datetime.timedelta(days=35), "b-1")
    # The regency records something every month (another district): no month of the register
    # is a gap, which would leave a 12-month total unknown instead of a count.
    first = (now - datetime.timedelta(days=500)).date().replace(day=1)
    for m in months_between(first, add_months(now.date().replace(day=1), -1)):
        when = timezone.make_aware(datetime.datetime(m.year, m.month, 15, 12, 0))
        _incident(village_c, when, f"c-{m:%Y-%m}")
    last = datetime.date(now.year, now.month, 1) - datetime.timedelta(days=1)
    month = last.replace(day=1)
    for village in (village_a, village_b):
        put_metric(village, month, "attendance.invited", 10, key="KTS")
        put_metric(village, month, "attendance.attended", 5, key="KTS")
    from jaga.territory.pemekaran import split_village

    split_village(
        village_a.code,
        [village_a.code, "35.03.11.1099"],
        now.date() - datetime.timedelta(days=3),
        actor=admin_user,
        names={"35.03.11.1099": "Tamanan Baru"},
    )
    pages = [f"/analitik/?territory={village_a.parent.code}",
             f"/analitik/partisipasi/?territory={village_a.parent.code}"]  # fmt: skip
    checked = []
    for page in pages:
        for url, n in _counted(bob_client.get(page).content.decode()):
            assert _listed(bob_client, url) == n, (page, url, n)
            checked.append(url)
    assert any("territory=35.03.11.1099" in u and "own=1" in u for u in checked)
    assert any(u.startswith("/analitik/catatan/?territory=35.03.11&month=") for u in checked)
    assert len([u for u in checked if "partisipasi" not in u and "own=1" in u]) >= 3
    # the new village's own dashboard still reads the old village's history
    assert _listed(bob_client, "/analitik/catatan/?territory=35.03.11.1099") == 2


@pytest.mark.usefixtures("frozen_clock")
def test_a_hot_cells_count_lists_the_incidents_of_that_cell_and_period(
    village_a: Any, bob: Any, bob_client: Client, charlie_client: Client
) -> None:
    import h3

    from jaga.analytics.services import propose_raid_plan
    from jaga.analytics.units import resolve_unit

    now = timezone.now()
    here, there = (-8.0512, 111.7095), (-8.0900, 111.7500)
    for i in range(6):  # a busy cell, a quieter one, and one incident before the 12 weeks
        _incident(village_a, now - datetime.timedelta(days=2 + i), f"hot-{i}",
                  latitude=here[0], longitude=here[1])  # fmt: skip
    _incident(village_a, now - datetime.timedelta(days=3), "other", latitude=there[0],
              longitude=there[1])  # fmt: skip
    _incident(village_a, now - datetime.timedelta(weeks=13), "old", latitude=here[0],
              longitude=here[1])  # fmt: skip
    propose_raid_plan(
        resolve_unit(bob, "35.03.11"), now.date() + datetime.timedelta(days=7), actor=bob
    )
    html = bob_client.get("/analitik/hotspot/?territory=35.03.11").content.decode()
    cell = h3.latlng_to_cell(*here, 8)
    links = [(u, n) for u, n in _counted(html) if f"cell={cell}" in u]
    assert links and all(n == 6 for _u, n in links)
    for url, n in links:
        assert _listed(bob_client, url) == n
        assert charlie_client.get(url).status_code == 404
    assert any(f"cell={h3.latlng_to_cell(*there, 8)}" in u for u, _n in _counted(html))
