"""Demo: three years of field work in Trenggalek (synthetic, seeded).

Sambang visits by each village's Bhabinkamtibmas (a few villages neglected lately, so the
"not visited" flag has something to show), early detections, a handful of SARA cases and daily
TBKB / TBBL raids at places that follow the incidents, whose findings enter the register (or
confirm a desk report). Inserted in bulk with the roll-ups updated in the same transaction.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils import timezone, translation

from jaga.accounts.models import Posting, Role
from jaga.analytics.models import MonthlyMetric
from jaga.core.months import month_start
from jaga.fieldwork import metrics as fieldwork_metrics
from jaga.fieldwork.models import (
    CaseKind,
    CaseStage,
    DetectionStatus,
    EarlyDetection,
    Finding,
    FollowUp,
    Frequency,
    Operation,
    ProblemCase,
    SourceKind,
    Target,
    Topic,
    Urgency,
    Visit,
)
from jaga.incidents.demo import LAT, LON, RECORDS_START, months_since
from jaga.incidents.models import Category, Incident, IncidentLink, Source
from jaga.incidents.services import add_to_rollups, insert_incidents
from jaga.programs.models import Programme

ORDER = 70

HOUSEHOLDS = [
    "Pak Slamet",
    "Bu Sri",
    "Pak Sugeng",
    "Bu Endah",
    "Pak Wahyudi",
    "Pak Suparno",
    "Bu Yuli",
    "Pak Tukiran",
    "Bu Sumini",
    "Pak Karno",
    "Pak Mujiono",
    "Bu Tarmi",
    "Pak Suroto",
    "Bu Rina",
]
CONCERNS = {
    Topic.SECURITY: [
        "Knalpot brong lewat tengah malam, warga terganggu",
        "Pemuda nongkrong dan minum miras di pos ronda",
        "Pencurian ternak kambing bulan lalu",
        "Balap liar di jalan tembus setiap malam Minggu",
    ],
    Topic.ECONOMY: [
        "Harga pupuk naik, hasil panen cengkeh turun",
        "Pinjaman online menjerat beberapa keluarga",
    ],
    Topic.SOCIAL: [
        "Gesekan antar anggota perguruan silat menjelang Suro",
        "Warga ODGJ dipasung keluarga, perlu pendampingan",
    ],
    Topic.POLITICS: ["Isu provokasi menjelang pemilihan kepala desa"],
}
HOPES = [
    "Patroli malam ditambah",
    "Siskamling dihidupkan lagi",
    "Sosialisasi bahaya narkoba di sekolah",
    "Pelatihan usaha untuk pemuda",
]
PLACES = [
    "Alun-alun",
    "Jembatan",
    "Simpang tiga",
    "Jalan tembus",
    "Pasar desa",
    "Lapangan",
    "Depan balai desa",
    "Jalur pantai",
]
TARGET_RATES = {
    # target: (chance of any finding, mean quantity when found, follow-up)
    Target.KNALPOT_BRONG: (0.7, 6, FollowUp.TICKET),
    Target.BALAP_LIAR: (0.35, 3, FollowUp.GUIDANCE),
    Target.MIRAS: (0.3, 8, FollowUp.CONFISCATION),
    Target.SAJAM: (0.06, 1, FollowUp.CONFISCATION),
    Target.SENPI: (0.004, 1, FollowUp.CONFISCATION),
    Target.HANDAK: (0.008, 2, FollowUp.CONFISCATION),
}


def add_metrics(counts: dict[tuple[int, datetime.date, str, str], int], villages: Any) -> None:
    """Add `{(village_id, month, metric, key): n}` to MonthlyMetric in bulk."""
    by_id = {v.pk: v for v in villages}
    existing = {
        (m.village_id, m.month, m.metric, m.key): m
        for m in MonthlyMetric.objects.filter(metric__in={k[2] for k in counts})
    }
    changed, new = [], []
    for key, n in counts.items():
        row = existing.get(key)
        if row is not None:
            row.value += n
            changed.append(row)
        else:
            village = by_id[key[0]]
            new.append(
                MonthlyMetric(
                    village_id=key[0],
                    month=key[1],
                    metric=key[2],
                    key=key[3],
                    value=n,
                    province_code=village.province_code,
                    regency_code=village.regency_code,
                    district_code=village.district_code,
                )
            )
    MonthlyMetric.objects.bulk_update(changed, ["value"], batch_size=500)
    MonthlyMetric.objects.bulk_create(new, batch_size=500)


def build(ctx: dict[str, Any]) -> None:  # noqa: C901 - one builder, read top to bottom
    rng = ctx["rng"]
    villages = ctx["villages"]
    by_id = {v.pk: v for v in villages}
    users = ctx["users"]
    today = timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    months = months_since(RECORDS_START, today)
    start = months[0]
    points = ctx.get("village_points") or {
        v.pk: (rng.uniform(*LAT), rng.uniform(*LON)) for v in villages
    }
    metrics: dict[tuple[int, datetime.date, str, str], int] = defaultdict(int)

    officer_of = {
        p.territory_id: p.user_id
        for p in Posting.objects.filter(role=Role.BHABIN).only("territory_id", "user_id")
    }
    covered = [v for v in villages if v.pk in officer_of]
    neglected = {v.pk for v in rng.sample(covered, min(6, len(covered)))}

    # Visits: 3-8 a month per covered village; a few villages not visited for the last 45 days.
    visits = []
    for village in covered:
        per_month = rng.randint(3, 8)
        officer = officer_of[village.pk]
        day = start
        while day <= today:
            day += datetime.timedelta(days=rng.randint(1, max(2, 60 // per_month)))
            if day > today or (village.pk in neglected and (today - day).days < 45):
                continue
            topic = rng.choice(
                [Topic.SECURITY, Topic.SECURITY, Topic.ECONOMY, Topic.SOCIAL, Topic.POLITICS]
            )
            lat, lon = points[village.pk]
            visits.append(
                Visit(
                    officer_id=officer,
                    village=village,
                    regency_code=village.regency_code,
                    district_code=village.district_code,
                    visited_on=day,
                    household_head=rng.choice(HOUSEHOLDS),
                    members_met=rng.randint(1, 5),
                    address=f"RT {rng.randint(1, 12):02d} RW {rng.randint(1, 6):02d}",
                    topic=topic,
                    concerns=rng.choice(CONCERNS[topic]),
                    hopes=rng.choice(HOPES),
                    latitude=round(lat + rng.gauss(0, 0.004), 5),
                    longitude=round(lon + rng.gauss(0, 0.004), 5),
                    created_by_id=officer,
                )
            )
            metrics[(village.pk, month_start(day), fieldwork_metrics.VISITS_COUNT, "")] += 1
    Visit.objects.bulk_create(visits, batch_size=1000)

    # Early detections: about one a month in each covered village.
    categories = {c.code: c for c in Category.objects.all()}
    detections = []
    for village in covered:
        for month in months:
            if rng.random() > 0.8:
                continue
            moment = datetime.datetime(
                month.year, month.month, rng.randint(1, 28), rng.randint(7, 22), tzinfo=tz
            )
            if moment > now:
                continue
            code = rng.choice(["perkelahian", "miras", "balap_liar", "judi", "narkoba"])
            age = (now - moment).days
            status = DetectionStatus.OPEN if age < 20 else DetectionStatus.CLOSED
            detections.append(
                EarlyDetection(
                    officer_id=officer_of[village.pk],
                    village=village,
                    regency_code=village.regency_code,
                    district_code=village.district_code,
                    observed_at=moment,
                    information=f"Informasi warga: rencana {categories[code].name_id.lower()} "
                    f"di wilayah {village.name}",
                    source_kind=rng.choice(list(SourceKind.values)),
                    urgency=rng.choice(list(Urgency.values)),
                    frequency=rng.choice(list(Frequency.values)),
                    topic=Topic.SECURITY,
                    category=categories[code],
                    status=status,
                    created_by_id=officer_of[village.pk],
                )
            )
            metrics[(village.pk, month_start(moment), fieldwork_metrics.EARLY_DETECTIONS, "")] += 1
    EarlyDetection.objects.bulk_create(detections, batch_size=1000)

    # SARA cases: a few, at every stage; disputes record both parties and the outcome.
    case_specs = [
        (
            "Bentrok pemuda perguruan silat menjelang Suro",
            CaseKind.NON_DISPUTE,
            "perkelahian",
            CaseStage.CLOSED,
            "",
            "",
        ),
        (
            "Sengketa batas tanah dua keluarga",
            CaseKind.DISPUTE,
            "konflik_sosial",
            CaseStage.CLOSED,
            "Keluarga Suparno",
            "Keluarga Wahyudi",
        ),
        (
            "Miras oplosan dijual ke remaja",
            CaseKind.NON_DISPUTE,
            "miras",
            CaseStage.ASSESSMENT,
            "",
            "",
        ),
        ("Balap liar jalan tembus", CaseKind.NON_DISPUTE, "balap_liar", CaseStage.RESPONSE, "", ""),
        ("Warga ODGJ dipasung", CaseKind.NON_DISPUTE, "pasung", CaseStage.ANALYSIS, "", ""),
        (
            "Sengketa warisan sawah",
            CaseKind.DISPUTE,
            "konflik_sosial",
            CaseStage.SCANNING,
            "Bu Tarmi",
            "Pak Karno",
        ),
    ]
    busiest = [
        by_id[row["village_id"]]
        for row in Incident.objects.filter(village_id__in=[v.pk for v in covered])
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:20]
    ] or covered
    for index, (title, kind, code, stage, one, two) in enumerate(case_specs):
        village = busiest[index % len(busiest)]
        opened = today - datetime.timedelta(days=300 - index * 45)
        response_on = (
            opened + datetime.timedelta(days=30)
            if stage in (CaseStage.RESPONSE, CaseStage.ASSESSMENT, CaseStage.CLOSED)
            else None
        )
        case = ProblemCase.objects.create(
            officer_id=officer_of[village.pk],
            village=village,
            regency_code=village.regency_code,
            district_code=village.district_code,
            title=title,
            kind=kind,
            stage=stage,
            opened_on=opened,
            problem=f"{title}: berulang dan dikeluhkan warga saat sambang.",
            causes="Kurangnya kegiatan pemuda; pengawasan lingkungan lemah."
            if stage != CaseStage.SCANNING
            else "",
            people_involved="Pemuda desa, tokoh masyarakat" if stage != CaseStage.SCANNING else "",
            actions="Mediasi di balai desa bersama FKPM dan perangkat desa" if response_on else "",
            responsible_partners="FKPM, Babinsa, perangkat desa" if response_on else "",
            response_started_on=response_on,
            mediated_on=response_on,
            agreement="Kedua pihak sepakat berdamai dan tidak mengulangi"
            if kind == CaseKind.DISPUTE and response_on
            else "",
            party_one=one,
            party_two=two,
            outcome="agreement" if kind == CaseKind.DISPUTE and stage == CaseStage.CLOSED else "",
            plan_carried_out=True if stage == CaseStage.CLOSED else None,
            closed_on=opened + datetime.timedelta(days=120) if stage == CaseStage.CLOSED else None,
            created_by_id=officer_of[village.pk],
        )
        case.villages.set([village])
        case.categories.set([categories[code]])
        metrics[(village.pk, month_start(opened), fieldwork_metrics.PROBLEM_CASES, "")] += 1

    # Raids: TBKB most nights, TBBL on weekend nights, where the incidents are.
    programmes = {}
    for code, name in (
        ("TBKB", "Trenggalek Bebas Knalpot Brong"),
        ("TBBL", "Trenggalek Bebas Balapan Liar"),
    ):
        programmes[code], _new = Programme.objects.get_or_create(
            code=code, defaults={"name": name, "started_on": datetime.date(2021, 6, 1)}
        )
    hot = [
        by_id[row["village_id"]]
        for row in Incident.objects.filter(category__code__in=["knalpot_brong", "balap_liar"])
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:25]
    ] or villages
    leader_for = {
        "35.03.11": users["kapolsek"].pk if "kapolsek" in users else None,
    }
    default_leader = (users.get("kasatbinmas") or users.get("admin")).pk
    desk: dict[tuple[int, int], list[tuple[datetime.datetime, int]]] = defaultdict(list)
    for pk, village_id, category_id, when in Incident.objects.filter(
        source=Source.DESK
    ).values_list("pk", "village_id", "category_id", "occurred_at"):
        desk[(village_id, category_id)].append((when, pk))
    confirmed: set[int] = set()
    operations: list[Operation] = []
    plans: list[list[tuple[str, Decimal]]] = []
    day = start
    while day < today:
        for code in ("TBKB", "TBBL"):
            if code == "TBKB" and rng.random() > 0.75:
                continue
            if code == "TBBL" and day.weekday() not in (4, 5, 6):
                continue
            village = rng.choice(hot[: rng.randint(5, len(hot))])
            started = datetime.datetime(
                day.year, day.month, day.day, rng.choice([20, 21, 22, 23]), 0, tzinfo=tz
            )
            lat, lon = points[village.pk]
            operations.append(
                Operation(
                    programme=programmes[code],
                    leader_id=leader_for.get(village.district_code) or default_leader,
                    village=village,
                    regency_code=village.regency_code,
                    district_code=village.district_code,
                    started_at=started,
                    ended_at=started + datetime.timedelta(hours=3),
                    place=f"{rng.choice(PLACES)} {village.name}",
                    team_size=rng.randint(6, 20),
                    vehicles_checked=rng.randint(40, 250),
                    people_checked=rng.randint(50, 300),
                    latitude=round(lat + rng.gauss(0, 0.003), 5),
                    longitude=round(lon + rng.gauss(0, 0.003), 5),
                    client_key=uuid.UUID(int=rng.getrandbits(128)),
                    created_by_id=default_leader,
                )
            )
            found = []
            for target, (chance, mean, _follow) in TARGET_RATES.items():
                if code == "TBKB" and target == Target.BALAP_LIAR:
                    continue
                if rng.random() < chance:
                    qty = max(1, round(rng.expovariate(1 / mean)))
                    found.append((target.value, Decimal(qty)))
            plans.append(found)
            metrics[
                (village.pk, month_start(started), fieldwork_metrics.OPERATIONS_COUNT, code)
            ] += 1
        day += datetime.timedelta(days=1)
    Operation.objects.bulk_create(operations, batch_size=1000)

    rows: list[tuple[Any, ...]] = []
    links: list[IncidentLink] = []
    findings: list[tuple[Operation, str, Decimal, str]] = []
    counts: dict[tuple[int, datetime.date, int], int] = defaultdict(int)
    window = datetime.timedelta(days=3)
    with translation.override("id"):
        labels = {t.value: str(t.label) for t in Target}
    for operation, found in zip(operations, plans, strict=True):
        village = by_id[operation.village_id]
        for code, qty in found:
            category = categories[code]
            ref = f"op-{operation.pk}-{code}"
            findings.append((operation, code, qty, ref))
            metrics[
                (village.pk, month_start(operation.started_at), fieldwork_metrics.FINDINGS, code)
            ] += int(qty)
            same = next(
                (
                    pk
                    for when, pk in desk.get((village.pk, category.pk), [])
                    if abs(when - operation.started_at) <= window and pk not in confirmed
                ),
                None,
            )
            if same is not None:
                confirmed.add(same)
                links.append(
                    IncidentLink(incident_id=same, source=Source.OPERATION, source_ref=ref)
                )
                continue
            rows.append(
                (
                    category.pk,
                    village.pk,
                    village.regency_code,
                    village.district_code,
                    operation.started_at,
                    Source.OPERATION,
                    ref,
                    operation.latitude,
                    operation.longitude,
                    1,
                    f"Razia {operation.programme.code} di {operation.place}: {labels[code]} {qty}",
                    now,
                    None,
                )
            )
            counts[(village.pk, month_start(operation.started_at), category.pk)] += 1
    insert_incidents(rows)
    IncidentLink.objects.bulk_create(links, batch_size=1000)
    add_to_rollups(counts)
    incident_of = dict(
        Incident.objects.filter(source=Source.OPERATION).values_list("source_ref", "pk")
    )
    incident_of.update({link.source_ref: link.incident_id for link in links})
    follow = {t.value: f for t, (_c, _m, f) in TARGET_RATES.items()}
    Finding.objects.bulk_create(
        [
            Finding(
                operation=operation,
                target=target,
                quantity=qty,
                follow_up=follow[target],
                incident_id=incident_of.get(ref),
            )
            for operation, target, qty, ref in findings
        ],
        batch_size=1000,
    )
    add_metrics(metrics, villages)
    ctx["stdout"].write(
        f"    {len(visits):,} visits, {len(detections):,} early detections, "
        f"{len(case_specs)} SARA cases, {len(operations):,} raids with {len(findings):,} findings "
        f"({len(links)} confirming desk reports)"
    )
