"""The attacker of the public figures: everything the public can fetch, one integer program.

`Attack(client, regency).month(m)` fetches, exactly as anyone can over HTTP, the public API
(`/api/v1/reports/public/<regency>`), the open data of every district (`/publik/<code>/data.json`
and `.csv`), the portal pages of the regency and its districts, and every Open311 request of
the month. It checks that all of them tell the same figures, then writes one integer program
over all of them together: every cell a whole number ≥ 0; a published number fixes its cell; a
withheld cell ("x") is free; the totals of every table (groups add up to the total, villages to
their district, districts to the regency, resolved = in time + late); and what Open311 lets
anyone count (the non-sensitive reports of a village in the month = its received reports).

`exposed()` then finds, for every withheld cell whose true value is small, the greatest value it
can take. A filling found by the solver that puts many withheld cells at 3 or more at once is a
proof for all of them (it is checked in integers); the rest get their exact maximum by an
integer program each. A cell whose maximum is below 3 is known to be small: a leak.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

import numpy as np
from django.test import Client
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from jaga.core.months import add_months
from jaga.reports import periods, public, suppression
from jaga.territory.models import Level, Territory

CAP = 10**7
WITHIN = {
    "incidents": "sum",  # total = the groups
    "desk": ("resolved", ["in_time", "late"]),
}


class Attack:
    def __init__(self, client: Client, regency: str):
        self.client = client
        self.regency = regency
        self.districts = list(
            Territory.objects.filter(level=Level.DISTRICT, regency_code=regency)
            .order_by("code")
            .values_list("code", flat=True)
        )
        self.cells: dict[Hashable, int | None] = {}
        self.parent: dict[str, str] = {}
        self.columns: dict[tuple[str, str], list[str]] = {}
        self.facts: list[tuple[dict[Hashable, int], int]] = []
        self.months: list[str] = []
        self.pages: list[tuple[str, dict[str, Any], str]] = []

    # ---- what the public fetches --------------------------------------------------------------

    def month(self, month: datetime.date) -> None:
        label = month.strftime("%Y-%m")
        self.months.append(label)
        api = self.client.get(f"/api/v1/reports/public/{self.regency}", {"month": label})
        assert api.status_code == 200, api.content[:300]
        body = api.json()
        assert body["published"], f"{label} not published"
        seen: dict[Hashable, Any] = {}
        for row in body["rows"]:
            if row["table"] == "surveys.results" or row["table"] == "surveys":
                continue  # means and bands, no counts
            key = (label, row["table"], row["territory_code"], row["column"])
            seen[key] = row["value"]
            code = row["territory_code"]
            if code != self.regency:
                self.parent[code] = code.rsplit(".", 1)[0]
            cols = self.columns.setdefault((label, row["table"]), [])
            if row["column"] not in cols:
                cols.append(row["column"])
        for key, value in seen.items():
            assert value == "x" or suppression.is_public_number(value), (key, value)
            self.cells[key] = None if value == "x" else int(value)
        # The open data and the pages tell exactly the same figures.
        for district in self.districts:
            data = self.client.get(f"/publik/{district}/data.json", {"bulan": label})
            assert data.status_code == 200
            for row in data.json()["rows"]:
                key = (label, row["table"], row["territory_code"], row["column"])
                if key in seen:
                    assert seen[key] == row["value"], key
            text = self.client.get(f"/publik/{district}/data.csv", {"bulan": label}).content
            for row in csv.DictReader(io.StringIO(text.decode())):
                key = (label, row["table"], row["territory_code"], row["column"])
                if key in seen:
                    assert str(seen[key]) == row["value"], key
        villages = sorted(c for c in self.parent if c.count(".") == 3)[:4]
        for code in [self.regency, *self.districts[:3], *villages]:
            page = self.client.get(f"/publik/{code}/", {"bulan": label})
            assert page.status_code == 200
            for table in page.context["tables"]:
                shown = table["total"]["code"]  # a village's page shows its district's tables
                own = [seen[(label, table["kind"], shown, c)] for c in self._cols(label, table)]
                assert table["total"]["cells"] == own
            self.pages.append((code, page.context["series"], page.content.decode()))
        self._open311(month, label)

    def _cols(self, label: str, table: dict[str, Any]) -> list[str]:
        return self.columns[(label, table["kind"])]

    def _open311(self, month: datetime.date, label: str) -> None:
        """Count the month's non-sensitive reports per village from the Open311 feed."""
        end = (month + datetime.timedelta(days=32)).replace(day=1)
        counts: dict[str, int] = defaultdict(int)
        sensitive = public.sensitive_service_codes()
        start = datetime.datetime(
            month.year, month.month, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=7))
        )
        stop = datetime.datetime(end.year, end.month, 1, tzinfo=start.tzinfo) - datetime.timedelta(
            seconds=1
        )
        response = self.client.get(
            "/open311/v2/requests.json",
            {"start_date": start.isoformat(), "end_date": stop.isoformat()},
        )
        assert response.status_code == 200
        rows = response.json()
        assert len(rows) < 1000, "the feed's page limit: split the month"
        for row in rows:
            if row["service_code"] in sensitive or not row["address_id"]:
                continue
            counts[row["address_id"]] += 1
        for code in [self.regency, *self.parent]:
            key = (label, "desk", code, "received")
            if key in self.cells:
                listed = sum(n for village, n in counts.items() if village.startswith(code + "."))
                self.facts.append(({key: 1}, listed))
                # the desk's received reports are exactly what the feed lists
                assert self.cells[key] in (None, listed), (key, listed)

    def check_series(self) -> int:
        """The twelve-month series of the pages (their charts, tables and trend sentences are
        drawn from them) hold only published cells: each point is the published number of its
        month or quarter, or nothing where that cell is withheld. Returns the points checked."""
        checked = 0
        for code, series, html in self.pages:
            parts = [(code, series["points"])]
            if series["context"]:
                parts.append((code.rsplit(".", 1)[0], series["context"]["points"]))
            for owner, points in parts:
                for point in points:
                    table = "incidents.quarter" if "–" in point.label else "incidents"
                    key = (point.month, table, owner, "total")
                    if key not in self.cells:
                        continue  # a month outside the attack
                    assert point.value == self.cells[key], (key, point.value, self.cells[key])
                    if point.value is None:
                        assert not re.search(re.escape(point.title) + r": \d", html), key
                    else:
                        assert f"{point.title}: {point.value}<" in html
                    checked += 1
        return checked

    # ---- the integer program ------------------------------------------------------------------

    def constraints(self) -> list[tuple[Hashable, list[Hashable]]]:
        out: list[tuple[Hashable, list[Hashable]]] = []
        kids: dict[str, list[str]] = defaultdict(list)
        for code, parent in self.parent.items():
            kids[parent].append(code)
        for (label, table), columns in self.columns.items():
            codes = [self.regency, *self.parent]
            for code in codes:
                if (label, table, code, columns[0]) not in self.cells:
                    continue  # villages: in the quarter table only
                within = WITHIN.get(table)
                if within == "sum":
                    parts = [c for c in columns if c != "total"]
                    out.append(
                        ((label, table, code, "total"), [(label, table, code, c) for c in parts])
                    )
                elif within:
                    total, parts = within
                    out.append(
                        ((label, table, code, total), [(label, table, code, c) for c in parts])
                    )
                members = [k for k in kids[code] if (label, table, k, columns[0]) in self.cells]
                if members:
                    for c in columns:
                        out.append(
                            ((label, table, code, c), [(label, table, k, c) for k in members])
                        )
        # A quarter's district and regency totals are the sums of its three monthly totals.
        for (label, table), _columns in self.columns.items():
            if table != "incidents.quarter":
                continue
            end = datetime.date.fromisoformat(label + "-01")
            months = [add_months(periods.quarter_start(end), i).strftime("%Y-%m") for i in range(3)]
            if not all(m in self.months for m in months):
                continue
            for code in [self.regency, *self.parent]:
                key = (label, table, code, "total")
                monthly = [(m, "incidents", code, "total") for m in months]
                if key in self.cells and all(k in self.cells for k in monthly):
                    out.append((key, monthly))
        return out

    def exposed(
        self, truth: dict[Hashable, int], threshold: int = suppression.THRESHOLD
    ) -> dict[str, Any]:
        keys = list(self.cells)
        index = {k: i for i, k in enumerate(keys)}
        n = len(keys)
        rows, cols, data, rhs = [], [], [], []
        for r, (total, parts) in enumerate(self.constraints()):
            for cell, coef in [(total, -1), *((p, 1) for p in parts)]:
                rows.append(r)
                cols.append(index[cell])
                data.append(coef)
            rhs.append(0)
        base = len(rhs)
        for j, (combo, value) in enumerate(self.facts):
            for cell, coef in combo.items():
                rows.append(base + j)
                cols.append(index[cell])
                data.append(coef)
            rhs.append(value)
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(rhs), n))
        lo = np.zeros(n)
        hi = np.full(n, float(CAP))
        for k, v in self.cells.items():
            if v is not None:
                lo[index[k]] = hi[index[k]] = v
        # the truth must satisfy everything published (else the model of the attack is wrong)
        x_true = np.array([truth[k] for k in keys], dtype=float)
        assert np.allclose(matrix @ x_true, rhs), "the published figures contradict the truth"
        assert np.all((x_true >= lo) & (x_true <= hi))
        small = [index[k] for k, v in self.cells.items() if v is None and truth[k] < threshold]
        todo = set(small)
        cons = LinearConstraint(matrix, rhs, rhs)
        # Proofs in bulk: fillings that lift many small cells to the threshold at once.
        for _round in range(4):
            if not todo:
                break
            pend = sorted(todo)
            p = len(pend)
            lift = sparse.hstack(
                [
                    sparse.csr_matrix((np.ones(p), (np.arange(p), pend)), shape=(p, n)),
                    -sparse.identity(p),
                ]
            )
            result = milp(
                np.concatenate([np.zeros(n), -np.ones(p)]),
                constraints=[
                    LinearConstraint(
                        sparse.hstack([matrix, sparse.csr_matrix((len(rhs), p))]), rhs, rhs
                    ),
                    LinearConstraint(lift, 0, np.inf),
                ],
                bounds=Bounds(
                    np.concatenate([lo, np.zeros(p)]), np.concatenate([hi, np.full(p, threshold)])
                ),
                integrality=np.concatenate([np.ones(n), np.zeros(p)]),
                options={"time_limit": 120},
            )
            if result.x is None:
                break
            x = np.rint(result.x[:n])
            if not (
                np.array_equal(matrix @ x, np.array(rhs, dtype=float))
                and np.all((x >= lo) & (x <= hi))
            ):
                break
            lifted = {i for i in pend if x[i] >= threshold}
            if not lifted:
                break
            todo -= lifted
        # The rest: the exact greatest value, one integer program each.
        leaks = []
        for i in sorted(todo):
            c = np.zeros(n)
            c[i] = -1.0
            result = milp(
                c,
                constraints=cons,
                bounds=Bounds(lo, hi),
                integrality=np.ones(n),
                options={"time_limit": 120},
            )
            assert result.status == 0, result.message
            if -result.fun < threshold:
                leaks.append((keys[i], truth[keys[i]], -result.fun))
        return {
            "cells": n,
            "withheld": sum(1 for v in self.cells.values() if v is None),
            "small_withheld": len(small),
            "proved_in_bulk": len(small) - len(todo),
            "leaks": leaks,
        }


def truth(regency: str, months: list[datetime.date]) -> dict[Hashable, int]:
    """The true values behind every published cell (from the roll-ups, as `publish` reads them)."""
    out: dict[Hashable, int] = {}
    for month in months:
        label = month.strftime("%Y-%m")
        for data in (
            public.incidents(regency, month),
            public.desk(regency, month),
            public.activities(regency, month, "held"),
            public.activities(regency, month, "head_count"),
        ):
            for (code, column), value in data._values.items():
                out[(label, data.kind, code, column)] = value
        if periods.is_quarter_end(month):
            for code, value in quarter_truth(regency, month).items():
                out[(label, "incidents.quarter", code, "total")] = value
    return out


def quarter_truth(regency: str, end: datetime.date) -> dict[str, int]:
    """True disturbances (non-sensitive) of the quarter ending in `end`, per village, district
    and the regency."""
    from django.db.models import Sum

    from jaga.analytics.models import MonthlyIncidentCount

    start = periods.quarter_start(end)
    rows = (
        MonthlyIncidentCount.objects.filter(regency_code=regency, month__gte=start, month__lte=end)
        .exclude(category_id__in=public.sensitive_category_ids())
        .values_list("village__code", "district_code")
        .annotate(n=Sum("count"))
    )
    out: dict[str, int] = defaultdict(int)
    for node in Territory.objects.filter(regency_code=regency, level__in=["village", "district"]):
        out[node.code] = 0
    out[regency] = 0
    for village, district, n in rows:
        out[village] += n
        out[district] += n
        out[regency] += n
    return dict(out)
