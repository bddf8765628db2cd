"""Twelve months of a territory's published figures, the trend said in plain words, and a chart.

Everything here reads the stored, protected rows (`PublicFigures`) and nothing else: a series is
the published cells of the stored months, side by side; the trend sentence and the chart are
functions of those published numbers only. A withheld cell ("x") stays withheld: the chart draws
no bar for it and the sentence does not describe a trend across it, so no new output can tell
more than the tables already do.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from jaga.core import charts
from jaga.core.months import add_months
from jaga.reports import periods, suppression
from jaga.reports.models import PublicFigures
from jaga.territory.models import Level, Territory

MONTHS = 12
MIN_TOTAL = 10  # fewer disturbances than this over the year and no trend is told
MAX_GAPS = 2  # months withheld or missing that a monthly comparison may leave out
Z = 2.0  # the halves must differ by two Poisson standard deviations to call it a change


@dataclass
class Point:
    label: str  # short, for the chart axis
    title: str  # long, for the data table and tooltips
    value: int | None  # None: withheld ("x") or not published
    month: str = ""  # YYYY-MM of the month, or of a quarter's last month: the stored cell


def history(regency_code: str, month: datetime.date) -> dict[datetime.date, dict[str, Any]]:
    """The stored payloads of the twelve months to `month` (one query)."""
    rows = PublicFigures.objects.filter(
        regency_code=regency_code, month__gt=add_months(month, -MONTHS), month__lte=month
    ).values_list("month", "payload")
    return dict(rows)


def _value(cell: Any) -> int | None:
    return cell if suppression.is_public_number(cell) else None


def monthly(
    stored: dict[datetime.date, dict[str, Any]], code: str, month: datetime.date
) -> list[Point]:
    """Disturbances (all groups) of a district or the regency, month by month."""
    out = []
    for i in range(MONTHS - 1, -1, -1):
        m = add_months(month, -i)
        value = None
        payload = stored.get(m)
        if payload is not None:
            table = payload["tables"]["incidents"]
            cells = table["cells"].get(code)
            if cells is not None:
                value = _value(cells[table["columns"].index("total")])
        out.append(Point(date_format(m, "M"), date_format(m, "F Y"), value, f"{m:%Y-%m}"))
    return out


def quarterly(
    stored: dict[datetime.date, dict[str, Any]], code: str, month: datetime.date
) -> list[Point]:
    """Disturbances (all groups) of any territory, quarter by quarter, for the quarters that
    closed within the twelve months to `month`."""
    out = []
    for i in range(MONTHS - 1, -1, -1):
        end = add_months(month, -i)
        if not periods.is_quarter_end(end):
            continue
        start = periods.quarter_start(end)
        quarter = (stored.get(end) or {}).get("quarter")
        value = _value(quarter["cells"].get(code)) if quarter else None
        out.append(
            Point(
                f"{date_format(start, 'M')}–{date_format(end, 'M')}",
                f"{date_format(start, 'F')}–{date_format(end, 'F Y')}",
                value,
                f"{end:%Y-%m}",
            )
        )
    return out


# ---- the trend in words -------------------------------------------------------------------------


def best_trend(
    place: Territory,
    months: list[Point],
    quarters: list[Point],
    fallback: Territory | None,
) -> dict[str, Any]:
    """The monthly series' sentence; when a month is withheld, the quarters' (a quarter can be
    published when one of its months is not, if the joint protection allows it)."""
    said = trend_words(place, months, fallback)
    if said["state"] == "withheld" and len(quarters) == 4:
        by_quarter = trend_words(place, quarters, fallback)
        if by_quarter["state"] != "withheld":
            return by_quarter
    return said


def _span(points: list[Point], kind: str) -> tuple[str, str]:
    """The first and last month the series covers, as words."""
    first_label, last_label = points[0].title, points[-1].title
    if kind == "quarters":
        start = first_label.split("–")[0] + " " + first_label.rsplit(" ", 1)[-1]
    else:
        start = first_label
    end = last_label if kind == "months" else last_label.split("–")[-1]
    return start, end


def _withheld(points: list[Point], kind: str, name: str, wider: str) -> dict[str, Any]:
    """Why nothing can be said when some of the figures are withheld or not published."""
    published = [p for p in points if p.value is not None]
    if len(published) == 0 and kind == "quarters":
        text = _(
            "The figures for %(place)s are too small to publish for any quarter of the last "
            "12 months: counts below 3 are withheld to protect the people involved, so "
            "nothing can be said about a trend here. The figures for %(wider)s show the "
            "wider picture."
        )
    else:
        text = _(
            "Some figures for %(place)s in the last 12 months are withheld to protect the "
            "people involved (or are not published yet), so whether disturbances are "
            "rising or falling cannot be said here. The figures for %(wider)s show the "
            "wider picture."
        )
    return {"state": "withheld", "text": text % {"place": name, "wider": wider}}


def _change_words(kind: str, z: float) -> str:
    """The sentence (with placeholders) for a change of `z` between the two halves."""
    if kind == "months":
        if z <= -Z:
            text = _(
                "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
                "tended to fall: %(first)s in the first six months, %(last)s in the last six."
            )
        elif z >= Z:
            text = _(
                "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
                "tended to rise: %(first)s in the first six months, %(last)s in the last six."
            )
        else:
            text = _(
                "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
                "stayed about the same: %(first)s in the first six months, %(last)s in the last "
                "six, a difference within the usual ups and downs."
            )
    elif z <= -Z:
        text = _(
            "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
            "tended to fall: %(first)s in the first two quarters, %(last)s in the last two."
        )
    elif z >= Z:
        text = _(
            "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
            "tended to rise: %(first)s in the first two quarters, %(last)s in the last two."
        )
    else:
        text = _(
            "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
            "stayed about the same: %(first)s in the first two quarters, %(last)s in the last "
            "two, a difference within the usual ups and downs."
        )
    return text


def trend_words(
    place: Territory, points: list[Point], fallback: Territory | None
) -> dict[str, Any]:
    """One plain sentence about the series: rising, falling, about the same, or honestly that
    nothing can be said (figures withheld, too few, not published yet). `fallback` is the
    wider area to look at instead (the district of a village, the regency of a district)."""
    name = place.display_name
    wider = fallback.display_name if fallback else ""
    kind = "months" if len(points) > 6 else "quarters"
    if not points:
        return {"state": "missing", "text": ""}
    start, end = _span(points, kind)
    half = len(points) // 2
    early = [p.value for p in points[:half] if p.value is not None]
    late = [p.value for p in points[half:] if p.value is not None]
    gaps = len(points) - len(early) - len(late)
    if kind == "months" and 0 < gaps <= MAX_GAPS and min(len(early), len(late)) >= half - MAX_GAPS:
        return _averaged(name, wider, start, end, early, late)
    if gaps:
        return _withheld(points, kind, name, wider)
    first, last = sum(early), sum(late)
    if first + last < MIN_TOTAL:
        text = _(
            "In the last 12 months (%(start)s – %(end)s) %(total)s disturbances were reported in "
            "%(place)s: too few to say whether they are rising or falling. The figures for "
            "%(wider)s show the wider picture."
        )
        return {
            "state": "too_few",
            "text": text
            % {"start": start, "end": end, "total": first + last, "place": name, "wider": wider},
        }
    z = (last - first) / math.sqrt(first + last)
    values = {"start": start, "end": end, "place": name, "first": first, "last": last}
    text = _change_words(kind, z)
    state = "falling" if z <= -Z else "rising" if z >= Z else "steady"
    return {"state": state, "text": text % values}


def _averaged(
    name: str, wider: str, start: str, end: str, early: list[int], late: list[int]
) -> dict[str, Any]:
    """Halves compared month for month when a month or two are withheld: the averages of the
    published months (Poisson rates), the withheld months left out and said to be."""
    a, b = sum(early), sum(late)
    if a + b < MIN_TOTAL:
        return {
            "state": "too_few",
            "text": _(
                "In the last 12 months (%(start)s – %(end)s) few disturbances were reported in "
                "%(place)s, and some months are withheld: too few to say whether they are rising "
                "or falling. The figures for %(wider)s show the wider picture."
            )
            % {"start": start, "end": end, "place": name, "wider": wider},
        }
    mean_a, mean_b = a / len(early), b / len(late)
    z = (mean_b - mean_a) / math.sqrt(a / len(early) ** 2 + b / len(late) ** 2)
    values = {
        "start": start,
        "end": end,
        "place": name,
        "first": f"{mean_a:.0f}",
        "last": f"{mean_b:.0f}",
    }
    if z <= -Z:
        text = _(
            "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
            "tended to fall: about %(first)s a month in the first six months, about %(last)s a "
            "month in the last six (months whose figures are withheld left out)."
        )
    elif z >= Z:
        text = _(
            "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
            "tended to rise: about %(first)s a month in the first six months, about %(last)s a "
            "month in the last six (months whose figures are withheld left out)."
        )
    else:
        text = _(
            "In the last 12 months (%(start)s – %(end)s), reported disturbances in %(place)s "
            "stayed about the same: about %(first)s a month in the first six months, about "
            "%(last)s a month in the last six (months whose figures are withheld left out)."
        )
    state = "falling" if z <= -Z else "rising" if z >= Z else "steady"
    return {"state": state, "text": text % values}


# ---- the chart ----------------------------------------------------------------------------------


def chart(points: list[Point], title: str) -> SafeString:
    """Columns of a series sized for a phone (360 units wide, 13-unit text): a withheld value
    is marked "x" at the baseline and draws no column; the text alternative reads every
    figure."""
    withheld = _("withheld")
    return charts.Columns(
        [p.label for p in points],
        [[charts.Part("", [p.value for p in points], "#1b2430")]],
        title,
        tips=[f"{p.title}: {withheld if p.value is None else p.value}" for p in points],
        nice=True,
        withheld=suppression.WITHHELD,
        described="; ".join(f"{p.title}: {suppression.marked(p.value)}" for p in points),
        css_class="chart portal-chart",
        label_chars=3,
    ).draw(360, 200, 13, min_stride=2 if len(points) > 6 else 1)


# ---- what a page shows --------------------------------------------------------------------------


def section(
    place: Territory, month: datetime.date, stored: dict[datetime.date, dict[str, Any]]
) -> dict[str, Any]:
    """The series, sentence and chart of a territory's page; a village also gets its
    district's monthly series, because its own counts are published only by quarter."""
    parent = place.parent if place.level != Level.REGENCY else None
    if place.level == Level.VILLAGE:
        points = quarterly(stored, place.code, month)
        title = _("Disturbances per quarter in %(place)s (all groups)") % {
            "place": place.display_name
        }
        context_points = monthly(stored, place.district_code or "", month)
        context = {
            "title": _("Disturbances per month in %(place)s (all groups)")
            % {"place": parent.display_name if parent else ""},
            "points": context_points,
            "chart": chart(
                context_points,
                _("Disturbances per month in %(place)s (all groups)")
                % {"place": parent.display_name if parent else ""},
            ),
            "trend": best_trend(
                parent,
                context_points,
                quarterly(stored, parent.code, month),
                parent.parent if parent.level == Level.DISTRICT else None,
            )
            if parent
            else None,
        }
    else:
        points = monthly(stored, place.code, month)
        title = _("Disturbances per month in %(place)s (all groups)") % {
            "place": place.display_name
        }
        context = None
    quarter_title, quarter_rows = _latest_quarter(stored, place, month)
    return {
        "map": map_data(stored, place, month),
        "title": title,
        "points": points,
        "chart": chart(points, title),
        "trend": best_trend(place, points, quarterly(stored, place.code, month), parent)
        if place.level != Level.VILLAGE
        else trend_words(place, points, parent),
        "wider": parent,
        "context": context,
        "quarter_title": quarter_title,
        "quarter_rows": quarter_rows,
    }


def map_data(
    stored: dict[datetime.date, dict[str, Any]], place: Territory, month: datetime.date
) -> dict[str, Any] | None:
    """GeoJSON for the map component: the villages around `place` at their centres, sized by
    their published disturbances of the latest quarter; a withheld village is drawn like any
    other withheld one (no size, no colour of its own), so the map shows no more than the
    quarter table."""
    from django.urls import reverse

    from jaga.core import geo

    quarter, end = None, None
    for candidate in sorted(stored, reverse=True):
        if candidate <= month and stored[candidate].get("quarter"):
            quarter, end = stored[candidate]["quarter"], candidate
            break
    area = place.district_code if place.level == Level.VILLAGE else place.code
    villages = Territory.objects.filter(
        level=Level.VILLAGE, code__startswith=f"{area}.", latitude__isnull=False
    ).values_list("code", "name", "latitude", "longitude")
    if quarter is None or end is None:
        return None
    start = periods.quarter_start(end)
    period = f"{date_format(start, 'F')}–{date_format(end, 'F Y')}"
    features = []
    for code, name, lat, lon in villages:
        if lat is None or lon is None:
            continue
        value = _value(quarter["cells"].get(code))
        shown = str(value) if value is not None else _("x (withheld)")
        props: dict[str, Any] = {
            "name": name,
            "kind": "incident" if value is not None else "quiet",
            "title": name,
            "lines": [_("Disturbances, %(period)s: %(n)s") % {"period": period, "n": shown}],
            "url": reverse("portal:territory", args=[code]) + f"?bulan={month:%Y-%m}",
            "link_text": _("The village's figures"),
        }
        if value is not None:
            props["count"] = value
        if code == place.code:
            props["label"] = name
        features.append(geo.point(lat, lon, **props))
    return {
        "label": _("Map: disturbances per village, %(period)s") % {"period": period},
        "collection": geo.collection(
            features,
            legend=[
                {
                    "kind": "incident",
                    "text": _("Disturbances in %(period)s (larger: more)") % {"period": period},
                },
                {"kind": "quiet", "text": _("Withheld (x)")},
            ],
            empty_text=_("No village centres are known here yet."),
        ),
    }


def _latest_quarter(
    stored: dict[datetime.date, dict[str, Any]], place: Territory, month: datetime.date
) -> tuple[str, list[dict[str, Any]]]:
    """A district's villages (or a regency's districts) with their published totals of the
    latest quarter that closed by `month`."""
    if place.level == Level.VILLAGE:
        return "", []
    for end in sorted(stored, reverse=True):
        quarter = stored[end].get("quarter")
        if end > month or not quarter:
            continue
        nodes = stored[end]["nodes"]
        rows = [
            {"code": code, "name": nodes[code][0], "value": value}
            for code, value in sorted(quarter["cells"].items())
            if code in nodes and nodes[code][2] == place.code
        ]
        start = periods.quarter_start(end)
        title = f"{date_format(start, 'F')}–{date_format(end, 'F Y')}"
        return title, rows
    return "", []
