"""The national-scale synthetic data set shared by the benchmarks (and usable for load tests).

Every village of Indonesia (the vendored Kemendagri list, ~83,700), a synthetic population, and
BENCH_INCIDENTS incidents over the last BENCH_MONTHS complete months: each village has its own
rate (log-normal), categories follow fixed shares, months a seasonal swing. Incidents go in with
PostgreSQL COPY, the roll-ups are then rebuilt from them (timed). Seeded: the same data each run.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

SEED = 2022


def _log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ensure_data() -> dict[str, Any]:
    from jaga.incidents.models import Incident
    from jaga.territory.models import Level, Territory
    from jaga.territory.services import load_territory

    target = int(os.environ.get("BENCH_INCIDENTS", "10000000"))
    months = int(os.environ.get("BENCH_MONTHS", "36"))
    ctx: dict[str, Any] = {"target": target, "months": months, "timings": {}}
    if Territory.objects.filter(level=Level.VILLAGE).count() < 80_000:
        _log("loading the territory of Indonesia …")
        t0 = time.monotonic()
        load_territory(None)
        ctx["timings"]["territory_load_s"] = time.monotonic() - t0
    _ensure_population()
    have = Incident.objects.count()
    if have < target * 0.95:
        if have:
            _log(f"{have} incidents present, fewer than {target}: regenerating")
            _truncate()
        t0 = time.monotonic()
        n = _generate_incidents(target, months)
        ctx["timings"]["incidents_copy_s"] = time.monotonic() - t0
        ctx["timings"]["incidents_generated"] = n
        _log("rebuilding the roll-ups from the incidents …")
        from jaga.analytics.rebuild import rebuild_incidents

        t0 = time.monotonic()
        rebuild_incidents()
        ctx["timings"]["rollup_rebuild_s"] = time.monotonic() - t0
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh visibility maps and statistics, so that covering indexes serve index-only scans.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE analytics_areamonthlycount")
    memo = (
        Path(__file__).resolve().parent.parent
        / "var"
        / f"bench-{connection.settings_dict['NAME']}.json"
    )
    if "incidents_copy_s" in ctx["timings"]:
        memo.parent.mkdir(exist_ok=True)
        memo.write_text(json.dumps(ctx["timings"]))
    elif memo.exists():
        ctx["timings"] = {**json.loads(memo.read_text()), "reused": True}
    ctx["incidents"] = Incident.objects.count()
    from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount

    ctx["rollup_rows"] = MonthlyIncidentCount.objects.count()
    ctx["area_rows"] = AreaMonthlyCount.objects.count()
    ctx["villages"] = Territory.objects.filter(level=Level.VILLAGE).count()
    return ctx


def _ensure_population() -> None:
    from jaga.territory.models import Level, Population, Territory

    if Population.objects.exists():
        return
    rng = np.random.default_rng(SEED)
    ids = list(Territory.objects.filter(level=Level.VILLAGE).values_list("id", flat=True))
    counts = np.maximum(300, rng.lognormal(np.log(3200), 0.6, size=len(ids))).astype(int)
    Population.objects.bulk_create(
        [
            Population(village_id=i, year=2024, count=int(c), source="bench", synthetic=True)
            for i, c in zip(ids, counts, strict=True)
        ],
        batch_size=5000,
    )


def _truncate() -> None:
    from django.db import connection

    from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
    from jaga.incidents.models import Incident, IncidentLink

    tables = [IncidentLink, Incident, MonthlyIncidentCount, AreaMonthlyCount]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(m._meta.db_table for m in tables))


def month_starts(months: int, today: datetime.date | None = None) -> list[datetime.date]:
    today = today or datetime.date.today()
    index = today.year * 12 + today.month - 1
    return [datetime.date((index - k) // 12, (index - k) % 12 + 1, 1) for k in range(months, 0, -1)]


def _generate_incidents(target: int, months: int) -> int:
    import pandas as pd
    from django.db import connection

    from jaga.incidents.models import Category, Incident
    from jaga.territory.models import Level, Territory

    rng = np.random.default_rng(SEED)
    villages = list(
        Territory.objects.filter(level=Level.VILLAGE)
        .order_by("id")
        .values_list("id", "regency_code", "district_code")
    )
    v_ids = np.array([v[0] for v in villages])
    regency = np.array([v[1] for v in villages])
    district = np.array([v[2] for v in villages])
    cats = list(
        Category.objects.filter(parent__isnull=False).order_by("id").values_list("id", flat=True)
    )
    shares = rng.dirichlet(np.full(len(cats), 1.2))
    starts = month_starts(months)
    mean = target / (len(villages) * months)
    rate = rng.lognormal(0, 0.8, size=len(villages))
    rate *= mean / rate.mean()
    season = 1 + 0.15 * np.sin(2 * np.pi * (np.array([m.month for m in starts]) - 3) / 12)
    tz_offset = datetime.timedelta(hours=7)  # Jakarta: month boundaries in local time
    total = 0
    table = Incident._meta.db_table
    columns = (
        "category_id, village_id, regency_code, district_code, occurred_at, source, source_ref, "
        "severity, description, created_at"
    )
    connection.ensure_connection()
    raw = connection.connection
    now = datetime.datetime.now(datetime.UTC).isoformat()
    for j, start in enumerate(starts):
        counts = rng.poisson(rate * season[j])
        n = int(counts.sum())
        idx = np.repeat(np.arange(len(villages)), counts)
        next_month = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        seconds = int((next_month - start).total_seconds())
        base = datetime.datetime.combine(start, datetime.time(), tzinfo=datetime.UTC) - tz_offset
        offsets = rng.integers(0, seconds, size=n)
        stamps = pd.to_datetime(base.timestamp() + offsets, unit="s", utc=True)
        frame = pd.DataFrame(
            {
                "category_id": np.array(cats)[rng.choice(len(cats), size=n, p=shares)],
                "village_id": v_ids[idx],
                "regency_code": regency[idx],
                "district_code": district[idx],
                "occurred_at": stamps.strftime("%Y-%m-%d %H:%M:%S+00"),
                "source": "import",
                "source_ref": [f"bench-{start:%Y%m}-{k}" for k in range(n)],
                "severity": 2,
                "description": "",
                "created_at": now,
            }
        )
        buffer = io.StringIO()
        frame.to_csv(buffer, sep="\t", header=False, index=False)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        raw.commit() if not raw.autocommit else None
        total += n
        _log(f"{start:%Y-%m}: {n} incidents (total {total})")
    return total


def describe(ctx: dict[str, Any]) -> list[str]:
    t = ctx["timings"]
    lines = [
        "## Data",
        "",
        f"- {ctx['villages']:,} villages (all of Indonesia), {ctx['incidents']:,} incidents over "
        f"{ctx['months']} months (generated by `bench/generate.py`, seed {SEED}).",
        f"- Roll-ups: {ctx['rollup_rows']:,} village x month x category rows; "
        f"{ctx['area_rows']:,} district/regency x month x category rows.",
    ]
    if "incidents_copy_s" in t:
        lines.append(
            f"- Generating and loading the incidents with COPY took {t['incidents_copy_s']:.0f} s; "
            f"rebuilding every roll-up from them (`jaga analytics rebuild`: empty roll-ups, so both "
            f"tables built anew, the first read of the incidents from disk) "
            f"took {t['rollup_rebuild_s']:.1f} s."
        )
    if t.get("reused"):
        lines.append("- Data reused from that earlier run (drop the database to regenerate it).")
    elif "incidents_copy_s" not in t:
        lines.append("- Data reused from a previous run (drop the database to regenerate it).")
    return lines + [""]
