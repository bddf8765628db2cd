"""Long lists counted up to a cap: exact below it, "more than" above it, every page reachable."""

from __future__ import annotations

import datetime

import pytest

from jaga.core import paging
from jaga.core.paging import CappedPaginator
from jaga.territory.models import Level, Territory

pytestmark = pytest.mark.django_db


def _villages():  # type: ignore[no-untyped-def]
    return Territory.objects.filter(level=Level.VILLAGE).order_by("code")


def test_below_the_cap_the_figures_are_exact():
    rows = _villages()
    total = rows.count()
    pages = CappedPaginator(rows, 50, cap=total)
    assert (pages.capped, pages.count, pages.num_pages) == (False, total, -(-total // 50))
    last = pages.get_page(pages.num_pages)
    assert not last.has_next() and last.has_previous()
    assert pages.get_page(10**6).number == pages.num_pages


def test_above_the_cap_every_page_is_reached_and_the_last_knows_it_is_last():
    rows = _villages()
    total = rows.count()
    assert total > 120  # the regency of the tests
    pages = CappedPaginator(rows, 50, cap=60)
    assert pages.capped and pages.count == 61
    seen = []
    number = 1
    while True:
        page = pages.get_page(number)
        seen += [t.code for t in page]
        # The template's links: past the counted pages too (a 500 there before).
        if page.has_previous():
            assert page.previous_page_number() == number - 1
        if not page.has_next():
            break
        assert page.next_page_number() == number + 1
        number += 1
    assert seen == list(rows.values_list("code", flat=True))
    assert number == -(-total // 50)
    assert pages.get_page(number + 1).number == 1  # past the end: back to the first page
    assert pages.get_page("x").number == 1


def test_the_register_says_more_than_when_it_stops_counting(satbinmas_client, monkeypatch):
    from django.utils import timezone

    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident

    village = _villages().first()
    category = Category.objects.filter(parent__isnull=False).first()
    for i in range(3):
        record_incident(
            village=village,
            category=category,
            source="spkt",
            source_ref=f"P-{i}",
            occurred_at=timezone.now() - datetime.timedelta(days=i),
        )
    monkeypatch.setattr(paging, "CAP", 2)
    page = satbinmas_client.get("/kejadian/").content.decode()
    assert "Lebih dari 2 kejadian" in page
    monkeypatch.setattr(paging, "CAP", 10)
    page = satbinmas_client.get("/kejadian/").content.decode()
    assert "3 kejadian" in page and "Lebih dari" not in page
