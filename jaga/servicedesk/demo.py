"""Three years of the Trenggalek desk: reports from every channel, handled, late, open and overdue.

Everything comes from `ctx["rng"]` (reproducible), except the reporters' private tracking codes,
which are real secrets: a few are printed so that the demo's reporters can follow their reports.
Reports older than two days of services that are not sensitive have a public version approved by
the desk; newer ones wait in the moderation queue. Rows are bulk-inserted and the roll-ups are
bumped once per (village, month, service) so that the dashboards show the same numbers the
services would have written one report at a time.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from jaga.accounts.models import Posting, Role
from jaga.analytics.models import MonthlyMetric
from jaga.analytics.rollups import bump_metric
from jaga.core.codes import ALPHABET
from jaga.incidents.demo import RECORDS_START
from jaga.incidents.models import Incident
from jaga.incidents.services import add_to_rollups
from jaga.servicedesk import metrics as desk_metrics
from jaga.servicedesk import services
from jaga.servicedesk.models import (
    RESOLUTION_STANDS,
    STAFF_CHANNELS,
    Channel,
    Moderation,
    RequestUpdate,
    Service,
    ServiceRequest,
    Status,
    past_due,
)
from jaga.territory.models import Population

ORDER = 40
PER_DAY = 2.4
MODERATION_DELAY = datetime.timedelta(days=2)

# service code: (weight, months with more reports (1-12), extra weight there)
MIX: dict[str, tuple[float, set[int], float]] = {
    "knalpot_brong": (16, {3, 4, 8}, 1.6),  # Ramadan convoys, Independence Day
    "balap_liar": (9, {3, 4, 8}, 1.5),
    "miras": (7, {12, 1}, 1.8),  # year-end parties
    "judi": (6, set(), 1),
    "pencurian": (11, set(), 1),
    "curanmor": (6, set(), 1),
    "perkelahian": (6, {7, 8, 9}, 2.0),  # Suro: martial-arts school gatherings
    "sajam": (3, {7, 8}, 1.5),
    "senpi": (0.4, set(), 1),
    "handak": (2.5, {3, 4, 12}, 3.0),  # mercon around Lebaran and New Year
    "narkoba": (3, set(), 1),
    "kdrt": (4, set(), 1),
    "pasung": (0.6, set(), 1),
    "bencana": (3, {11, 12, 1, 2, 3}, 2.5),  # rainy season: floods and landslides
    "kehilangan": (12, set(), 1),
    "pengaduan": (2.5, set(), 1),
}
CHANNELS = [
    (Channel.WEB, 30),
    (Channel.WALK_IN, 26),
    (Channel.PHONE, 16),
    (Channel.MESSAGING, 18),
    (Channel.OPEN311, 6),
    (Channel.API, 4),
]
DUSUN = ["Krajan", "Karanganyar", "Ngemplak", "Sumberejo", "Bendo", "Kedungsigit", "Gondang"]
PLACES = ["balai desa", "pasar", "lapangan", "jalan raya", "pertigaan", "masjid", "SD negeri"]
TEXTS: dict[str, list[str]] = {
    "knalpot_brong": [
        "Rombongan motor knalpot brong lewat {place} Dusun {dusun} setiap malam, warga terganggu.",
        "Pemuda konvoi dengan knalpot brong di sekitar {place}, mengganggu jam istirahat.",
    ],
    "balap_liar": [
        "Balap liar di jalan dekat {place} Dusun {dusun} setiap malam Minggu.",
        "Ada balapan liar menjelang sahur di jalan {place}, membahayakan pengguna jalan.",
    ],
    "miras": [
        "Sekelompok pemuda pesta miras di pos ronda Dusun {dusun}.",
        "Warung dekat {place} diduga menjual minuman keras oplosan.",
    ],
    "judi": [
        "Diduga ada judi sabung ayam di kebun belakang {place} Dusun {dusun}.",
        "Warga melihat judi kartu di rumah kosong dekat {place}.",
    ],
    "pencurian": [
        "Dua ekor kambing hilang dari kandang warga Dusun {dusun} tadi malam.",
        "Tabung gas dan pompa air dicuri dari rumah dekat {place}.",
    ],
    "curanmor": [
        "Sepeda motor hilang saat diparkir di depan {place}.",
        "Motor warga Dusun {dusun} dicuri dari teras rumah dini hari.",
    ],
    "perkelahian": [
        "Terjadi keributan antar pemuda perguruan silat di dekat {place}.",
        "Perkelahian setelah acara di Dusun {dusun}, beberapa orang luka ringan.",
    ],
    "sajam": ["Seorang pemuda membawa celurit di sekitar {place} Dusun {dusun}."],
    "senpi": ["Warga mendengar suara tembakan dari arah hutan Dusun {dusun}."],
    "handak": [
        "Anak-anak membuat dan menyulut mercon besar di dekat {place}.",
        "Ada penjualan petasan di warung dekat {place} Dusun {dusun}.",
    ],
    "narkoba": ["Diduga ada transaksi pil koplo di sekitar {place} Dusun {dusun}."],
    "kdrt": ["Tetangga sering mendengar keributan dan tangisan dari rumah di Dusun {dusun}."],
    "pasung": ["Ada warga dengan gangguan jiwa yang dipasung keluarganya di Dusun {dusun}."],
    "bencana": [
        "Tanah longsor menutup jalan Dusun {dusun} setelah hujan deras.",
        "Banjir masuk rumah warga di sekitar {place} Dusun {dusun}.",
    ],
    "kehilangan": [
        "Dompet berisi KTP dan SIM hilang di sekitar {place}.",
        "STNK hilang saat perjalanan dari {place}.",
    ],
    "pengaduan": ["Pelayanan pembuatan SKCK terlalu lama, mohon diperbaiki."],
}
ANSWERS: dict[str, dict[str, list[Any]]] = {
    "knalpot_brong": {"waktu": ["malam", "malam", "sore"]},
    "balap_liar": {"waktu": ["malam", "malam", "pagi"], "berulang": ["ya", "tidak"]},
    "sajam": {"ancaman": ["ya", "tidak"]},
    "senpi": {"ancaman": ["tidak"]},
    "pencurian": {"barang": ["Kambing", "Tabung gas", "Pompa air", "Hasil panen"]},
    "curanmor": {"jenis": ["motor", "motor", "motor", "mobil"]},
    "kdrt": {"aman": ["ya", "tidak"]},
    "bencana": {"jenis": ["longsor", "banjir", "angin", "kebakaran"], "korban": ["tidak"]},
    "kehilangan": {"dokumen": [["ktp"], ["ktp", "sim"], ["stnk"], ["kk"], ["atm"]]},
}
RESOLUTIONS = [
    "Sudah ditindaklanjuti Bhabinkamtibmas bersama perangkat desa.",
    "Patroli dilakukan dan pelaku diberi pembinaan.",
    "Sudah dimediasi di balai desa bersama tokoh masyarakat.",
    "Barang bukti diamankan, perkara diteruskan ke unit reskrim.",
    "Surat keterangan sudah diterbitkan dan dapat diambil di Polsek.",
]


def _code(rng: Any, n: int = 10) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _weighted(rng: Any, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def build(ctx: dict[str, Any]) -> None:
    rng = ctx["rng"]
    out = ctx["stdout"]
    now = timezone.now()
    start = datetime.datetime.combine(
        RECORDS_START, datetime.time(0, 0), tzinfo=timezone.get_current_timezone()
    )
    villages = ctx["villages"]
    polsek = ctx["polsek_by_district"]
    catalogue = {s.code: s for s in Service.objects.select_related("category")}
    population = dict(
        Population.objects.filter(village__in=villages).values_list("village_id", "count")
    )
    village_weights = [population.get(v.pk, 3000) for v in villages]
    officer: dict[int, Any] = {}
    for posting in (
        Posting.objects.active()
        .filter(role=Role.BHABIN, territory__in=villages)
        .select_related("user")
        .order_by("valid_from", "id")
    ):
        officer.setdefault(posting.territory_id, posting.user)
    # Demo points: a made-up centre per village inside Trenggalek's box (the territory data has
    # no coordinates), with reports scattered a few hundred metres around it.
    centre = {v.pk: (rng.uniform(-8.33, -8.02), rng.uniform(111.47, 111.83)) for v in villages}
    staff = ctx["users"]

    rows: list[ServiceRequest] = []
    timeline: list[list[tuple[datetime.datetime, str, str, bool, Any]]] = []
    last_by_key: dict[tuple[int, str], ServiceRequest] = {}
    days = (now - start).days
    total = int(days * PER_DAY)
    tickets: set[str] = set()
    moments = sorted(
        start + datetime.timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(total)
    )
    for received in moments:
        month = timezone.localtime(received).month
        code = _weighted(
            rng,
            [(c, w * (extra if month in peak else 1)) for c, (w, peak, extra) in MIX.items()],
        )
        service = catalogue[code]
        village = rng.choices(villages, weights=village_weights)[0]
        channel = _weighted(rng, CHANNELS)
        anonymous = channel in (Channel.WEB, Channel.MESSAGING) and rng.random() < 0.45
        if code in ("kdrt", "pasung"):
            anonymous = rng.random() < 0.7
        due = service.due_from(received)
        ticket = _code(rng)
        while ticket in tickets:
            ticket = _code(rng)
        tickets.add(ticket)
        lat = lon = None
        if channel in (Channel.WEB, Channel.OPEN311, Channel.API) and rng.random() < 0.6:
            c_lat, c_lon = centre[village.pk]
            lat = round(c_lat + rng.uniform(-0.006, 0.006), 6)
            lon = round(c_lon + rng.uniform(-0.006, 0.006), 6)
        answers = {q: rng.choice(v) for q, v in ANSWERS.get(code, {}).items()}
        assignee = officer.get(village.pk)
        # Handling got faster over the three years (the desk's own improvement story).
        progress = (received - start) / (now - start)
        in_time_share = 0.62 + 0.28 * progress
        age_hours = (now - received).total_seconds() / 3600
        events: list[tuple[datetime.datetime, str, str, bool, Any]] = []
        kapolsek = staff.get("kapolsek") if village.district_code == "35.03.11" else None
        handler = assignee or kapolsek
        fate = rng.random()
        status: str = Status.RECEIVED
        resolved_at = closed_at = None
        in_time = None
        duplicate_of = None
        t = received + datetime.timedelta(minutes=rng.uniform(10, 240))

        def step(
            moment: datetime.datetime,
            to: str,
            text: str = "",
            public: bool = True,
            events: list[Any] = events,
        ) -> bool:
            nonlocal status
            if moment >= now:
                return False
            events.append((moment, status, to, public, text))
            status = to
            return True

        key = (village.pk, code)
        recent = last_by_key.get(key)
        if recent is not None and received - recent.received_at > datetime.timedelta(days=10):
            recent = None
        if fate < 0.35 and recent is not None:
            original = recent
            if step(t, Status.DUPLICATE, f"Digabung ke laporan {original.ticket}."):
                duplicate_of = original
                step(t + datetime.timedelta(days=14), Status.CLOSED)
        elif fate < 0.13:
            step(t, Status.TRIAGED)
            if step(
                t + datetime.timedelta(hours=2),
                Status.REJECTED,
                "Bukan wewenang Polri; pelapor diarahkan ke instansi terkait.",
            ):
                step(t + datetime.timedelta(days=14), Status.CLOSED)
        else:
            late = rng.random() > in_time_share
            # A few old reports were never finished; recent ones are still being worked on.
            stuck = (age_hours > service.sla_hours * 2 and rng.random() < 0.004) or (
                age_hours < service.sla_hours * 2.2 and rng.random() < 0.8
            )
            share = rng.uniform(1.1, 3.5) if late else rng.uniform(0.15, 0.95)
            done = received + datetime.timedelta(hours=service.sla_hours * share)
            step(t, Status.TRIAGED)
            if handler is not None:
                step(t + datetime.timedelta(minutes=30), Status.ASSIGNED)
                step(
                    t + datetime.timedelta(hours=rng.uniform(1, 6)),
                    Status.IN_PROGRESS,
                    "Petugas menuju lokasi.",
                )
            if not stuck and step(done, Status.RESOLVED, rng.choice(RESOLUTIONS)):
                resolved_at = done
                in_time = not past_due(due, done)
                reopen_until = done + datetime.timedelta(days=service.reopen_days)
                if step(reopen_until, Status.CLOSED):
                    closed_at = reopen_until
        notes = next((e[4] for e in reversed(events) if e[3] and e[4]), "")
        tracking_code = services.new_tracking_code()  # not from rng: a real secret
        token = _code(rng, 24)  # drawn before the text, as always: the demo stays the same
        description = rng.choice(TEXTS[code]).format(
            place=rng.choice(PLACES), dusun=rng.choice(DUSUN)
        )
        moderated = not service.sensitive and now - received > MODERATION_DELAY
        moderator = kapolsek or handler
        rows.append(
            ServiceRequest(
                ticket=ticket,
                token=token,
                channel=channel,
                service=service,
                secret_hash=services.hash_tracking_code(ticket, tracking_code),
                description=description,
                # The demo texts name no one: the desk approved them as they are.
                public_description=description if moderated else "",
                moderation=Moderation.APPROVED
                if moderated
                else (Moderation.REJECTED if service.sensitive else Moderation.PENDING),
                moderated_at=received + MODERATION_DELAY if moderated else None,
                moderated_by=moderator if moderated else None,
                answers=answers,
                village=village,
                regency_code=village.regency_code,
                district_code=village.district_code,
                latitude=lat,
                longitude=lon,
                occurred_at=received - datetime.timedelta(hours=rng.uniform(0.2, 20)),
                received_at=received,
                updated_at=events[-1][0] if events else received,
                anonymous=anonymous,
                reporter_name="" if anonymous else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                phone="" if anonymous else f"08{rng.randint(1100000000, 9999999999)}",
                entered_by=staff.get("kapolsek")
                if channel in STAFF_CHANNELS and village.district_code == "35.03.11"
                else None,
                status=status,
                status_notes=notes,
                version=1 + len(events),
                unit=polsek.get(village.district_code),
                assignee=handler if status != Status.RECEIVED or assignee else assignee,
                due_at=due,
                resolved_at=resolved_at,
                resolved_in_time=in_time,
                closed_at=closed_at,
            )
        )
        rows[-1]._demo_original = duplicate_of  # type: ignore[attr-defined]
        rows[-1].tracking_code = tracking_code  # type: ignore[attr-defined]
        timeline.append([(m, a, b, p, x) for (m, a, b, p, x) in events])
        if duplicate_of is None:
            last_by_key[key] = rows[-1]

    ServiceRequest.objects.bulk_create(rows, batch_size=500)
    duplicates = []
    for saved in rows:
        merged_into = getattr(saved, "_demo_original", None)
        if merged_into is not None:
            saved.duplicate_of = merged_into
            duplicates.append(saved)
    ServiceRequest.objects.bulk_update(duplicates, ["duplicate_of"], batch_size=500)

    updates = []
    for row, events in zip(rows, timeline, strict=True):
        updates.append(
            RequestUpdate(
                request=row,
                at=row.received_at,
                public=True,
                text=f"Laporan diterima dan diteruskan ke {row.unit.name if row.unit else 'Polres'}.",
                status_to=Status.RECEIVED,
            )
        )
        for moment, before, after, public, text in events:
            updates.append(
                RequestUpdate(
                    request=row,
                    at=moment,
                    author=row.assignee if after in (Status.IN_PROGRESS, Status.RESOLVED) else None,
                    public=public,
                    text=text,
                    status_from=before,
                    status_to=after,
                )
            )
    RequestUpdate.objects.bulk_create(updates, batch_size=1000)

    # Verified kamtibmas reports enter the incident register (one incident each).
    incidents = []
    for row in rows:
        if (
            row.service.category_id is not None
            and row.resolved_at is not None
            and rng.random() < 0.7
        ):
            incidents.append(
                Incident(
                    category_id=row.service.category_id,
                    village=row.village,
                    regency_code=row.regency_code,
                    district_code=row.district_code,
                    occurred_at=row.occurred_at or row.received_at,
                    source="desk",
                    source_ref=row.ticket,
                    latitude=row.latitude,
                    longitude=row.longitude,
                    description="" if row.service.sensitive else row.description,
                )
            )
    Incident.objects.bulk_create(incidents, batch_size=500)
    by_ref = dict(
        Incident.objects.filter(
            source="desk", source_ref__in=[i.source_ref for i in incidents]
        ).values_list("source_ref", "id")
    )
    verified = [r for r in rows if r.ticket in by_ref]
    for row in verified:
        row.incident_id = by_ref[row.ticket]
        row.verified_at = row.resolved_at
    ServiceRequest.objects.bulk_update(verified, ["incident", "verified_at"], batch_size=500)

    # Roll-ups, one bump per (village, month, key).
    village_by_id = {v.pk: v for v in villages}
    counts: Counter[tuple[int, datetime.date, str, str]] = Counter()
    for row in rows:
        counts[
            (row.village_id, _month(row.received_at), desk_metrics.RECEIVED, row.service.code)
        ] += 1
        if row.resolved_at is not None and row.status in RESOLUTION_STANDS:
            resolved_month = _month(row.resolved_at)
            counts[(row.village_id, resolved_month, desk_metrics.RESOLVED, row.service.code)] += 1
            if row.resolved_in_time:
                counts[
                    (
                        row.village_id,
                        resolved_month,
                        desk_metrics.RESOLVED_IN_TIME,
                        row.service.code,
                    )
                ] += 1
    _add_metrics(counts, village_by_id)
    incident_counts: Counter[tuple[int, datetime.date, int]] = Counter(
        (i.village_id, _month(i.occurred_at), i.category_id) for i in incidents
    )
    add_to_rollups(incident_counts)  # the village, district and regency rows

    client, api_key = services.create_open311_client(
        "Aplikasi Lapor Warga Trenggalek (demo)", contact="humas@trenggalek.example"
    )
    ctx["open311_key"] = api_key
    open_now = sum(1 for r in rows if r.is_open)
    overdue = sum(1 for r in rows if r.is_open and r.is_late(now))
    # The newest reporters' private links (the codes exist nowhere else), one of a sensitive service.
    examples = [r for r in reversed(rows) if not r.service.sensitive][:2] + [
        r for r in reversed(rows) if r.service.sensitive
    ][:1]
    ctx["tracking_codes"] = {r.ticket: r.tracking_code for r in rows}  # type: ignore[attr-defined]
    links = "; ".join(
        f"{r.ticket} ({r.service.code}): {services.tracking_path(r, r.tracking_code)}"  # type: ignore[attr-defined]
        for r in examples
    )
    out.write(
        f"    service desk: {len(rows)} reports ({open_now} open, {overdue} overdue), "
        f"{len(incidents)} verified incidents; Open311 demo key for {client.name}: {api_key}"
    )
    if links:
        out.write(f"    reporters' private tracking links: {links}")


def _add_metrics(counts: Counter[Any], village_by_id: dict[int, Any]) -> None:
    """Insert the roll-up rows in bulk; rows another demo builder already wrote are bumped."""
    existing = set(
        MonthlyMetric.objects.filter(metric__startswith=desk_metrics.REQUESTS).values_list(
            "village_id", "month", "metric", "key"
        )
    )
    new = []
    for (village_id, month, metric, key), value in counts.items():
        village = village_by_id[village_id]
        if (village_id, month, metric, key) in existing:
            bump_metric(village, month, metric, value, key=key)
            continue
        new.append(
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
        )
    MonthlyMetric.objects.bulk_create(new, batch_size=1000)


def _month(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date().replace(day=1)


_FIRST = ["Sri", "Siti", "Dwi", "Tri", "Agus", "Budi", "Sugeng", "Slamet", "Wahyu", "Endah"]
_LAST = ["Rahayu", "Lestari", "Santoso", "Wibowo", "Utami", "Prasetyo", "Hidayat", "Susanti"]
