"""Pages of long lists whose length is not worth counting exactly.

A Polda's or the country's incident register holds millions of rows: an exact COUNT(*) for the
"N incidents" line and the page total read them all on every request (about a second for a
province at national data, `bench/pages.py`). `CappedPaginator` counts at most `cap` + 1 rows: up
to the cap every figure is exact; beyond it the page says "more than 10,000", numbers its pages
without a total, and knows whether an older page exists by reading one row past its own.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet

CAP = 10_000


class CappedPage(Page[Any]):
    more: bool = False

    def has_next(self) -> bool:
        paginator: CappedPaginator = self.paginator  # type: ignore[assignment]
        return self.more if paginator.capped else super().has_next()


class CappedPaginator(Paginator[Any]):
    def __init__(self, object_list: QuerySet[Any], per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.cap = CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        # No ORDER BY: counting needs no order, and without it the scan stops at the cap.
        return self.rows.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """More rows than were counted (the count is then cap + 1, the page total unknown)."""
        return self.count > self.cap

    def validate_number(self, number: Any) -> int:
        """Beyond the cap the last page is unknown: any page from 1 is valid (`page` finds out
        whether it has rows). Page.next_page_number and previous_page_number ask this."""
        if not self.capped:
            return super().validate_number(number)
        try:
            value = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(str(exc)) from exc
        if value < 1:
            raise EmptyPage("page < 1")
        return value

    def page(self, number: Any) -> CappedPage:
        if not self.capped:
            page = super().page(number)
            return CappedPage(page.object_list, page.number, self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.rows[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("no rows")
        page = CappedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def get_page(self, number: Any) -> CappedPage:
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(1 if self.capped else self.num_pages)
