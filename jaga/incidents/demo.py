"""Demo: imported incident history for Trenggalek since January 2019 (synthetic, seeded).

Each village has its own base rate; months follow a season (more trouble around the month of
Suro, mid-year, and at the year's end); villages that adopted a programme
(`programs.ProgrammeAdoption`, filled by an earlier demo builder) see their disturbances fall
after adoption; one village has a wave of motorbike thefts (curanmor) from two months before the
current one, so that the early warning has something to find. The history starts in 2019 so that
the programmes adopted from 2020 on have months before adoption to compare with (the evaluation
needs them). Inserted in bulk with the monthly roll-up updated in the same transaction.

The demo's stories are pinned by `tests/core/test_demo_stories.py`: the surge announced here is
the one `jaga analytics alarms` raises at the last complete month, and both planted programme
effects come out of `jaga analytics evaluate` with intervals that exclude zero. They need
volume: the evaluation compares each adopting cohort with its own month before adoption, so its
interval is about the Poisson noise of one month's count, and a village with half an incident a
month (the demo before) hid a 30% fall in the noise.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from typing import Any

import numpy as np
from django.utils import timezone

from jaga.core.months import last_months, month_start, months_apart
from jaga.incidents.models import Category, Source
from jaga.incidents.services import add_to_rollups, insert_incidents
from jaga.territory.models import Territory

ORDER = 60
HISTORY_START = datetime.date(2019, 1, 1)
# Desk reports, field work and raids are recorded in Jaga from 2021 (the article's period) on.
RECORDS_START = datetime.date(2021, 1, 1)
# From 2021 the register's import keeps this share of a village's disturbances: desk reports
# and raid findings (about half an incident per village and month) record the rest.
RECORDED_ELSEWHERE = 0.8
# A village's usual disturbances per month: lognormal around this median.
BASE_RATE = 2.5
# The planted effect of each programme on the log of the monthly rate (a fall of 36%).
EFFECT_PROGRAMMES = {"KTS": -0.45, "FKPM": -0.45}
# The surge for the early warning: motorbike thefts in one village, from two months before the
# current month on, at this multiple of the village's usual monthly total of all categories
# (at least SURGE_MINIMUM a month), where it usually sees one or two a year.
SURGE_CATEGORY = "curanmor"
SURGE_MONTHS = 3  # the last two complete months and the current one
SURGE_MULTIPLE = 3.0
SURGE_MINIMUM = 6.0
MUNJUNGAN = "35.03.02.2008"
# Regency bounding box, for synthetic points (the territory data has no coordinates).
LAT = (-8.33, -7.93)
LON = (111.45, 111.92)

CATEGORY_WEIGHTS = {
    "knalpot_brong": 16,
    "balap_liar": 9,
    "miras": 14,
    "pencurian": 12,
    "curanmor": 6,
    "penganiayaan": 7,
    "perkelahian": 5,
    "judi": 6,
    "narkoba": 4,
    "kdrt": 4,
    "penipuan": 5,
    "laka_lantas": 6,
    "sajam": 2,
    "pasung": 1,
    "bencana": 2,
    "konflik_sosial": 1,
}
DESCRIPTIONS = {
    "knalpot_brong": "Knalpot brong meresahkan warga",
    "balap_liar": "Balap liar di jalan desa",
    "miras": "Pesta miras di pos ronda",
    "pencurian": "Pencurian di rumah warga",
    "curanmor": "Sepeda motor hilang di halaman rumah",
    "penganiayaan": "Penganiayaan setelah cekcok",
    "perkelahian": "Perkelahian antar pemuda perguruan silat",
    "judi": "Perjudian sabung ayam",
    "narkoba": "Peredaran pil Daftar G",
    "kdrt": "Kekerasan dalam rumah tangga",
    "penipuan": "Penipuan jual beli online",
    "laka_lantas": "Kecelakaan lalu lintas",
    "sajam": "Membawa senjata tajam",
    "pasung": "Warga ODGJ dipasung keluarga",
    "bencana": "Tanah longsor menutup jalan",
    "konflik_sosial": "Sengketa batas tanah antar warga",
}


def months_back(today: datetime.date, count: int) -> list[datetime.date]:
    return last_months(today, count)


def months_since(start: datetime.date, today: datetime.date) -> list[datetime.date]:
    span = months_apart(start, today) + 1
    return months_back(today, span)


def season(month: datetime.date) -> float:
    """Peak around July (Suro, pengesahan warga baru) and a smaller one at the year's end."""
    m = month.month
    return 1 + 0.3 * math.cos(2 * math.pi * (m - 7) / 12) + (0.25 if m in (12, 1) else 0)


def village_points(rng: Any, villages: list[Any]) -> dict[int, tuple[float, float]]:
    return {v.pk: (rng.uniform(*LAT), rng.uniform(*LON)) for v in villages}


def build(ctx: dict[str, Any]) -> None:
    rng = ctx["rng"]
    villages = ctx["villages"]
    today = timezone.localdate()
    months = months_since(HISTORY_START, today)
    span = len(months)
    np_rng = np.random.default_rng(rng.randrange(2**32))
    categories = dict(Category.objects.filter(code__in=CATEGORY_WEIGHTS).values_list("code", "id"))
    codes = [c for c in CATEGORY_WEIGHTS if c in categories]
    weights = np.array([CATEGORY_WEIGHTS[c] for c in codes], dtype=float)
    weights /= weights.sum()

    # Each programme that villages adopt at different times carries its own planted effect (a
    # fall in the monthly rate, building up over six months); Pokdar and the regency-wide
    # programmes start everywhere at once and carry none.
    adoptions: dict[int, list[tuple[datetime.date, float]]] = defaultdict(list)
    try:
        from jaga.programs.models import ProgrammeAdoption

        for village_id, code, adopted_on in ProgrammeAdoption.objects.filter(
            programme__code__in=EFFECT_PROGRAMMES
        ).values_list("village_id", "programme__code", "adopted_on"):
            adoptions[village_id].append((adopted_on, EFFECT_PROGRAMMES[code]))
    except Exception:  # noqa: BLE001, S110 - the programmes app may not be there yet
        pass

    bases = {v.pk: rng.lognormvariate(math.log(BASE_RATE), 0.5) for v in villages}
    # The surge village is one of the busier half: a quiet village's surge would be a handful.
    others = sorted(
        (v for v in villages if v.code != MUNJUNGAN), key=lambda v: (-bases[v.pk], v.code)
    )
    surge = others[rng.randrange(len(others) // 2)]
    surge_start = months[max(0, span - SURGE_MONTHS)]
    surge_category = categories.get(SURGE_CATEGORY)
    ctx["incident_surge_village"] = surge
    ctx["incident_surge"] = {
        "village": surge,
        "category": SURGE_CATEGORY,
        "start": surge_start,
    }
    points = village_points(rng, villages)
    ctx["village_points"] = points
    # The demo's villages get these synthetic centres too, so that a report sent with only a
    # point (Open311 lat/long) finds its village; real centres come from
    # `jaga territory import-points`.
    for village in villages:
        village.latitude, village.longitude = points[village.pk]
    Territory.objects.bulk_update(villages, ["latitude", "longitude"], batch_size=500)

    now = timezone.now()
    tz = timezone.get_current_timezone()
    rows: list[tuple[Any, ...]] = []
    counts: dict[tuple[int, datetime.date, int], int] = defaultdict(int)
    serial = 0
    for village in villages:
        base = bases[village.pk]
        if village.code == MUNJUNGAN:
            base *= 0.3  # residents keep order themselves
        adopted_list = adoptions.get(village.pk, [])
        for index, month in enumerate(months):
            rate = base * season(month)
            factor = 1.0
            for adopted, effect in adopted_list:
                if month >= month_start(adopted):
                    months_in = months_apart(adopted, month)
                    factor *= math.exp(effect * min(1.0, (months_in + 1) / 6))
            if month >= RECORDS_START:
                # From 2021 desk reports and raids record part of the disturbances in Jaga
                # itself (about 1 - RECORDED_ELSEWHERE of them, with no programme effect of
                # their own); the register's import keeps the rest and carries the whole
                # planted effect, so that the total stays level and falls by `factor`.
                share = RECORDED_ELSEWHERE
                factor = max(0.05, (factor - (1 - share)) / share) if factor < 1 else 1.0
                rate *= share
            rate *= factor
            n = int(np_rng.poisson(rate))
            drawn = list(np_rng.choice(codes, size=n, p=weights)) if n else []
            if village.pk == surge.pk and month >= surge_start and surge_category is not None:
                usual = base * season(month)
                extra = np_rng.poisson(max(SURGE_MULTIPLE * usual, SURGE_MINIMUM))
                drawn += [SURGE_CATEGORY] * int(extra)
            if not drawn:
                continue
            days = (
                months[index + 1] if index + 1 < span else today + datetime.timedelta(1)
            ) - month
            for code in drawn:
                day = month + datetime.timedelta(days=int(np_rng.integers(0, max(days.days, 1))))
                hour = int(np_rng.choice([8, 11, 14, 17, 19, 20, 21, 22, 23, 0, 1]))
                moment = datetime.datetime(
                    day.year, day.month, day.day, hour, int(np_rng.integers(0, 60)), tzinfo=tz
                )
                if moment > now:
                    continue
                serial += 1
                lat, lon = points[village.pk]
                category_id = categories[str(code)]
                rows.append(
                    (
                        category_id,
                        village.pk,
                        village.regency_code,
                        village.district_code,
                        moment,
                        Source.IMPORT,
                        f"RIW-{moment:%Y}-{serial:06d}",
                        round(lat + np_rng.normal(0, 0.004), 5),
                        round(lon + np_rng.normal(0, 0.004), 5),
                        int(np_rng.choice([1, 2, 2, 2, 3])),
                        DESCRIPTIONS[str(code)],
                        now,
                        None,
                    )
                )
                counts[(village.pk, month_start(moment), category_id)] += 1
    insert_incidents(rows)
    add_to_rollups(counts)
    ctx["stdout"].write(
        f"    {len(rows):,} incidents of history; surge of {SURGE_CATEGORY} in {surge.name} "
        f"({surge.code}) from {surge_start:%Y-%m}; {len(adoptions)} villages with a programme"
    )
