"""Render the Anev report: HTML for the browser, a print HTML and its PDF (WeasyPrint)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jaga.core import charts
from jaga.reports import anev
from jaga.surveys.queries import estimate_rows
from jaga.territory.models import Territory


def chart_context(
    territory: Territory, month: datetime.date, sections: dict[str, Any]
) -> dict[str, Any]:
    trend = sections["trend"]
    labels = [date_format(m, "m/y") for m in trend["months"]]
    series = [(_("Disturbances"), trend["counts"])]
    if trend["fitted"]:
        fitted = [None if v is None else round(v, 1) for v in trend["fitted"]]
        series.append((_("Fitted trend (with season)"), fitted))
    title = _("Disturbances per month")
    line = (
        charts.line_chart(
            labels,
            series,
            title,
            gap="?",
            gap_tip=_("no record at all in some regency: unknown, not zero"),
        )
        if any(trend["counts"])
        else None
    )
    groups = sections["compstat"]["groups"]
    bars_groups = None
    if sections["compstat"]["total"].current or sections["compstat"]["total"].last_year:
        group_series = [
            (date_format(month, "M Y"), [g.current for g in groups]),
            (_("Previous month"), [g.previous for g in groups]),
            (_("Same month last year"), [g.last_year for g in groups]),
        ]
        bars_groups = charts.bar_chart(
            [g.name for g in groups], group_series, _("Disturbances by group")
        )
    areas = sections["compstat"]["areas"]
    area_series = [
        (date_format(month, "M Y"), [a.current for a in areas]),
        (_("Same month last year"), [a.last_year for a in areas]),
    ]
    bars_areas = (
        charts.bar_chart(
            [a.name for a in areas],
            area_series,
            _("Disturbances by area"),
            height=260,
            narrow_height=300,
        )
        if areas and any(a.current or a.last_year for a in areas)
        else None
    )
    return {"chart_trend": line, "chart_groups": bars_groups, "chart_areas": bars_areas}


def context(territory: Territory, month: datetime.date, progress: Any = None) -> dict[str, Any]:
    sections = anev.build(territory, month, progress)
    return {
        "territory": territory,
        "month": month,
        "s": sections,
        **chart_context(territory, month, sections),
        "survey_rows": estimate_rows(sections["surveys"]["trust_year"]),
        "generated": datetime.datetime.now(tz=datetime.UTC),
    }


def html(
    territory: Territory, month: datetime.date, language: str = "id", progress: Any = None
) -> str:
    """The report as one self-contained HTML document (print CSS, inline SVG charts)."""
    with translation.override(language):
        return render_to_string("reports/anev_print.html", context(territory, month, progress))


def pdf(document_html: str) -> tuple[bytes, int]:
    """The PDF of a print HTML and its number of pages."""
    from weasyprint import HTML

    document = HTML(string=document_html, base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(), len(document.pages)
