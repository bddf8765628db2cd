"""Exports of the registry as CSV or XLSX (the same columns the imports read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse

from jaga.core.tabular import write_csv, write_xlsx
from jaga.core.types import Viewer
from jaga.partners.access import memberships_for_user, organisations_for_user, people_for_user
from jaga.partners.services import MEMBERSHIP_EXPORT, ORG_EXPORT, PEOPLE_EXPORT


def people_rows(user: Viewer) -> Iterator[list[Any]]:
    for p in people_for_user(user).select_related("village").order_by("id").iterator():
        yield [
            p.pk, p.full_name, p.village.code, p.gender, p.birth_year, p.education, p.occupation,
            ",".join(p.community_roles), p.position, p.phone, p.email, p.address, p.nik_masked,
        ]  # fmt: skip


def organisation_rows(user: Viewer) -> Iterator[list[Any]]:
    for o in organisations_for_user(user).select_related("territory").order_by("id").iterator():
        yield [o.pk, o.kind, o.name, o.local_name, o.territory.code, o.parent_id, o.founded_on]


def membership_rows(user: Viewer) -> Iterator[list[Any]]:
    qs = memberships_for_user(user).select_related("person", "organisation").order_by("id")
    for m in qs.iterator():
        yield [
            m.pk, m.person_id, m.person.full_name, m.organisation_id, m.organisation.name, m.role,
            m.started_on, m.ended_on,
        ]  # fmt: skip


EXPORTS = {
    "people": (PEOPLE_EXPORT, people_rows),
    "organisations": (ORG_EXPORT, organisation_rows),
    "memberships": (MEMBERSHIP_EXPORT, membership_rows),
}


def export_response(
    headers: list[str], rows: Iterator[list[Any]], name: str, fmt: str
) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(headers, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = HttpResponse(write_csv(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def export(kind: str, user: Viewer, fmt: str) -> HttpResponse:
    headers, rows = EXPORTS[kind]
    return export_response(headers, rows(user), kind, fmt)
