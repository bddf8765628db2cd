"""Demo surveys for Trenggalek: trust answers that improve over 2021–2022, and IKM forms.

Answers are generated per village and month from a seeded RNG, from January 2021 to the current
month (so the survey pages' default period, the last twelve months, has answers): villages with
a posted Bhabinkamtibmas know their officer more often, and trust rises slowly over the first two
years after the partnership programmes start (the article's conclusion) and holds after, with
noise. Roll-ups are written in bulk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.utils import timezone

from jaga.analytics.models import MonthlyMetric
from jaga.core.months import add_months
from jaga.surveys import metrics as survey_metrics
from jaga.surveys.models import (
    IKM_ELEMENTS,
    TRUST_LIKERT,
    TRUST_YESNO,
    AgeGroup,
    Channel,
    Education,
    Gender,
    IkmResponse,
    Occupation,
    TrustResponse,
)

ORDER = 80
START = datetime.date(2021, 1, 1)
RISING = 24  # months over which trust rises


def _month(index: int) -> datetime.date:
    return add_months(START, index)


def _likert(rng: Any, centre: float) -> int:
    return max(1, min(5, round(float(rng.gauss(centre, 0.9)))))


def build(ctx: dict[str, Any]) -> None:
    rng = ctx["rng"]
    villages = ctx["villages"]
    uncovered = ctx["uncovered"]
    polsek_by_district = ctx["polsek_by_district"]
    polres = ctx["polres"]
    trust: list[TrustResponse] = []
    ikm: list[IkmResponse] = []
    sums: dict[tuple[Any, datetime.date, str, str], int] = defaultdict(int)
    today = timezone.localdate()
    months = (today.year - START.year) * 12 + today.month - START.month + 1
    for village in villages:
        covered = village.code not in uncovered
        for index in range(months):
            month = _month(index)
            # Days of the current month that have not come yet get no answers.
            last_day = min(28, today.day) if month == today.replace(day=1) else 28
            progress = min(1.0, index / RISING)  # trust rises slowly over two years, then holds
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                day = month.replace(day=rng.randint(1, last_day))
                answers = {
                    "safe_home": _likert(rng, 3.7 + 0.4 * progress),
                    "safe_night": _likert(rng, 3.0 + 0.5 * progress),
                    "trust_police": _likert(rng, 3.2 + 0.6 * progress + (0.2 if covered else -0.3)),
                    "would_report": _likert(rng, 3.5 + 0.4 * progress),
                    "knows_bhabin": rng.random() < (0.65 + 0.2 * progress if covered else 0.2),
                    "was_visited": rng.random() < (0.35 + 0.2 * progress if covered else 0.05),
                }
                trust.append(
                    TrustResponse(
                        village=village,
                        regency_code=village.regency_code,
                        district_code=village.district_code,
                        answered_on=day,
                        channel=rng.choice([Channel.PORTAL, Channel.PAPER, Channel.PAPER]),
                        **answers,
                    )
                )
                sums[(village, month, survey_metrics.TRUST_N, "")] += 1
                for q in TRUST_LIKERT + TRUST_YESNO:
                    value = int(answers[q])
                    sums[(village, month, survey_metrics.TRUST_SUM, q)] += value
                    sums[(village, month, survey_metrics.TRUST_SUMSQ, q)] += value * value
            if rng.random() < 0.35:
                day = month.replace(day=rng.randint(1, last_day))
                base = 2.9 + 0.4 * progress
                scores = {
                    code: max(1, min(4, round(rng.gauss(base + (0.3 if code == "u4" else 0), 0.6))))
                    for code in IKM_ELEMENTS
                }
                unit = polsek_by_district.get(village.district_code) or polres
                ikm.append(
                    IkmResponse(
                        village=village,
                        regency_code=village.regency_code,
                        district_code=village.district_code,
                        unit=rng.choice([unit, unit, polres]),
                        service=rng.choice(["SPKT", "SKCK", "Pengaduan", "Bhabinkamtibmas"]),
                        answered_on=day,
                        channel=Channel.PAPER,
                        gender=rng.choice(Gender.values),
                        age_group=rng.choice(AgeGroup.values),
                        education=rng.choice(Education.values + [""]),
                        occupation=rng.choice(Occupation.values),
                        **scores,
                    )
                )
                sums[(village, month, survey_metrics.IKM_N, "")] += 1
                for code, score in scores.items():
                    sums[(village, month, survey_metrics.IKM_SUM, code)] += score
    TrustResponse.objects.bulk_create(trust, batch_size=2000)
    IkmResponse.objects.bulk_create(ikm, batch_size=2000)
    MonthlyMetric.objects.bulk_create(
        [
            MonthlyMetric(
                village=village,
                month=month,
                metric=metric,
                key=key,
                value=value,
                province_code=village.province_code,
                regency_code=village.regency_code,
                district_code=village.district_code,
            )
            for (village, month, metric, key), value in sums.items()
        ],
        batch_size=5000,
    )
    ctx["stdout"].write(
        f"  demo: {len(trust)} trust answers, {len(ikm)} IKM forms ({START:%Y-%m} to {today:%Y-%m})"
    )
