"""The demo's programmes, adoptions, activities, invitations and attendance (Trenggalek).

Every programme the seed article names is catalogued by name with a short code, and its figures
are kept: the FKPSB peace declaration with 3,000 pendekar from 24 perguruan, the Kapolres Cup with
250 participants, the road-safety pioneers movement with 5,000 pupils, the disaster-preparedness
parade with 250 personnel from the agencies listed, 15 Dai Kamtibmas installed. Kampung Tangguh
Semeru and FKPM are adopted by villages in different months from 2020 to 2023 (staggered cohorts,
with villages that never adopt), and meetings run from adoption until now with invitations and
attendance: absence, lateness, representation and a gap between community leaders and other
residents, as the article describes. Roll-ups are written in bulk from the same numbers.
"""

from __future__ import annotations

import datetime
import secrets
import zoneinfo
from collections import defaultdict
from typing import Any

from django.utils import timezone

from jaga.analytics.models import MonthlyMetric
from jaga.core.codes import ALPHABET
from jaga.core.months import add_months, month_start, months_apart
from jaga.partners.demo import found_fkpm_bulk
from jaga.partners.models import Education, Organisation, Person
from jaga.programs import metrics as programme_metrics
from jaga.programs.models import (
    Activity,
    ActivityKind,
    AttendanceStatus,
    Invitation,
    Programme,
    ProgrammeAdoption,
    Response,
)
from jaga.programs.services import STATUS_METRICS
from jaga.territory.models import Territory

ORDER = 30
SATBINMAS = "Satbinmas Polres Trenggalek"

# code, name, goal, lead unit, partner keys (agencies), started_on
CATALOGUE: list[tuple[str, str, str, str, list[str], datetime.date | None]] = [
    ("KTS", "Kampung Tangguh Semeru", "Desa tangguh menghadapi gangguan kamtibmas, bencana dan "
     "pandemi dengan posko, relawan dan ronda warga; bentuk Polmas paling efektif.", SATBINMAS,
     ["kodim", "dinkes", "bpbd"], datetime.date(2020, 5, 1)),
    ("FKPM", "Forum Kemitraan Polisi dan Masyarakat", "Forum independen warga, Kapolsek dan "
     "pemerintah desa untuk memecahkan masalah kamtibmas bersama.", SATBINMAS, [],
     datetime.date(2020, 1, 1)),
    ("POKDAR", 'Pokdar Kamtibmas "Citra Bhayangkara"', "Kelompok sadar kamtibmas di setiap "
     "kecamatan, 5 warga dari setiap desa/kelurahan.", SATBINMAS, [], datetime.date(2021, 6, 1)),
    ("FKPSB", "Forum Komunikasi Pencak Silat dan Beladiri", "Silaturahmi 24 perguruan silat di "
     "setiap kecamatan untuk mencegah gesekan antar pesilat.", SATBINMAS, [],
     datetime.date(2021, 12, 10)),
    ("DAMAI", "Deklarasi Damai dan Pengukuhan FKPSB", "Deklarasi damai seluruh perguruan silat "
     "dengan penandatanganan MoU.", SATBINMAS, [], datetime.date(2021, 12, 22)),
    ("KAPOLRES_CUP", 'Kejuaraan Pencak Silat antar Perguruan "Kapolres Cup"', "Kejuaraan "
     "antar perguruan sebagai sarana persaudaraan pesilat.", SATBINMAS, [],
     datetime.date(2021, 11, 29)),
    ("TBKB", "Trenggalek Bebas Knalpot Brong", "Razia knalpot brong siang dan malam, lokasi "
     "berpindah sesuai hakekat ancaman.", "Satlantas dan Satsamapta Polres Trenggalek",
     ["dishub"], datetime.date(2021, 1, 1)),
    ("TBBL", "Trenggalek Bebas Balapan Liar", "Razia balap liar, sajam, senpi, handak dan miras "
     "setiap hari siang dan malam.", "Satlantas dan Satsamapta Polres Trenggalek", ["dishub"],
     datetime.date(2021, 1, 1)),
    ("GNPKL", "Gerakan Nasional Pelopor Keselamatan Berlalu Lintas", "Pemahaman keselamatan "
     "berlalu lintas sejak dini bagi pelajar SD, SLTP dan SMU.", "Satlantas Polres Trenggalek",
     ["dishub"], datetime.date(2021, 9, 1)),
    ("SIAGA_BENCANA", "Siaga Bencana Alam", "Kesiapsiagaan bencana bersama TNI, PLN, POM TNI, "
     "BPBD, Damkar, Satpol PP, Dishub, Dinkes dan PMI.", "Polres Trenggalek",
     ["kodim", "pln", "pom", "bpbd", "damkar", "satpolpp", "dishub", "dinkes", "pmi"],
     datetime.date(2021, 12, 16)),
    ("PIRAMIDA", "Piramida", "Pembagian sembako dan perbaikan tempat tinggal bersama wartawan.",
     "Polres Trenggalek", [], datetime.date(2021, 3, 1)),
    ("VAKSIN_SEMERU", "Serbuan Vaksinasi Merdeka Semeru", "Mencapai target vaksinasi: setiap "
     "anggota membawa 5 warga dan 2 lansia.", "Polres Trenggalek", ["dinkes"],
     datetime.date(2021, 7, 1)),
    ("DAI", "Dai Kamtibmas", "15 dai dilantik bersama Kementerian Agama untuk menjaga kerukunan "
     "umat beragama.", SATBINMAS, ["kemenag"], datetime.date(2021, 9, 14)),
    ("PAMOR_KERIS", "Pamor Keris dan Operasi Yustisi", "Kepatuhan protokol kesehatan.",
     "Polres Trenggalek", ["satpolpp", "kodim"], datetime.date(2020, 9, 1)),
    ("KANDANI_LURAH", "Kandani Lurah", "Asistensi penggunaan anggaran desa dan penanganan "
     "COVID-19 bersama lurah dan kepala desa.", SATBINMAS, [], datetime.date(2020, 8, 1)),
    ("KANDANI_KS", "Kandani Kepala Sekolah", "Asistensi dan pencegahan COVID-19 bersama kepala "
     "sekolah.", SATBINMAS, [], datetime.date(2021, 8, 1)),
    ("SATGAS_COVID", "Satgas COVID-19 Trenggalek", "Pengelolaan COVID-19 bersama Kodim dan "
     "Dinkes.", "Polres Trenggalek", ["kodim", "dinkes"], datetime.date(2020, 3, 20)),
    ("MURAL", "Lomba Mural dan Optimalisasi Desa Wisata", "Memperkenalkan potensi wisata desa "
     "bersama Dinas Pariwisata, Bhabinkamtibmas dan lurah.", SATBINMAS, ["pariwisata"],
     datetime.date(2021, 10, 1)),
    ("TBP", "Trenggalek Bebas Pasung", "Tidak ada lagi warga dengan gangguan jiwa yang dipasung.",
     SATBINMAS, ["dinkes", "dinsos"], datetime.date(2021, 2, 1)),
    ("KID", "Kawasan Inklusif Disabilitas", "Membentuk kawasan inklusif bersama yayasan dan "
     "pemerintah kabupaten.", SATBINMAS, ["pemkab", "dinsos"], datetime.date(2021, 11, 1)),
    ("JAGA_CC", "Jaga Trenggalek Command Centre", "Gedung layanan terpadu kepolisian satu atap.",
     "Polres Trenggalek", [], datetime.date(2021, 4, 1)),
    ("POHON_10K", "Gerakan 10.000 Pohon", "Sabuk hijau untuk mitigasi bencana bersama kabupaten "
     "dan Kodim 0806.", "Polres Trenggalek", ["pemkab", "kodim"], datetime.date(2021, 11, 20)),
    ("JAGA_PSN", "Jaga PSN Trenggalek", "Menjaga proyek strategis nasional dan memitigasi "
     "konflik sosial.", "Polres Trenggalek", ["pemkab"], datetime.date(2021, 6, 1)),
    ("HANI", "Hari Anti Narkotika Internasional", "Pencegahan peredaran narkotika bersama BNK.",
     "Satresnarkoba Polres Trenggalek", ["bnk"], datetime.date(2021, 6, 26)),
    ("VAKSIN_BUS", "Bus Vaksinasi Keliling", "Menjangkau warga dengan bus vaksinasi bersama "
     "Dinkes.", "Polres Trenggalek", ["dinkes"], datetime.date(2021, 8, 15)),
    ("RASA", "RASA: Olahraga Bersama", "Olahraga bersama ASN, TNI dan komunitas sambil berbagi "
     "sembako.", "Polres Trenggalek", ["kodim", "pemkab"], datetime.date(2021, 5, 1)),
    ("POLRES_PEDULI", "Polres Peduli", "Membantu warga memenuhi kebutuhan pokok bersama Dinas "
     "Sosial.", "Polres Trenggalek", ["dinsos"], datetime.date(2020, 5, 1)),
]  # fmt: skip

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


def _dt(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=WIB)


MASS_EVENTS = {
    # code: (kind, title, start, days, head count, place)
    "DAMAI": (ActivityKind.DECLARATION, "Deklarasi damai dan pengukuhan FKPSB",
              _dt(2021, 12, 22, 8, 0), 0, 3000, "Alun-alun Trenggalek"),
    # The article prints "29 Nopember 2013"; the championship followed the FKPSB initiative.
    "KAPOLRES_CUP": (ActivityKind.COMPETITION, 'Kejuaraan pencak silat "Kapolres Cup"',
                     _dt(2021, 11, 29, 8, 0), 3, 250, "GOR Gajah Putih Trenggalek"),
    "GNPKL": (ActivityKind.COUNSELLING, "Gerakan Nasional Pelopor Keselamatan Berlalu Lintas",
              _dt(2021, 9, 20, 7, 0), 0, 5000, "Alun-alun Trenggalek"),
    "SIAGA_BENCANA": (ActivityKind.PARADE, "Apel besar siaga bencana",
                      _dt(2021, 12, 16, 7, 30), 0, 250, "Mapolres Trenggalek"),
}  # fmt: skip

KTS_VILLAGES = 72
FKPM_VILLAGES = 60

REPRESENTATIVES = ["anaknya", "istrinya", "suaminya", "Ketua RT", "Sekretaris desa", "adiknya"]


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment


def _month_between(
    rng: Any, first: datetime.date, last: datetime.date, every: int = 1
) -> datetime.date:
    """A random day in a month between `first` and `last`, on a wave every `every` months.

    Programmes roll out in waves: adoption cohorts of several villages each, which the
    evaluation needs to estimate its uncertainty (a cohort of one village has no spread).
    """
    k = rng.randint(0, months_apart(first, last) // every) * every
    return add_months(first, k).replace(day=rng.randint(1, 28))


def _code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(12))


class Recorder:
    """Collects activities, invitations and the roll-up figures they imply, then bulk-writes."""

    def __init__(self, rng: Any, now: datetime.datetime) -> None:
        self.rng = rng
        self.now = now
        self.activities: list[Activity] = []
        self.covered: list[list[Territory]] = []
        self.organisers: list[list[Organisation]] = []
        self.partners: list[list[Organisation]] = []
        self.invitees: list[list[Person | Organisation]] = []
        self.metrics: dict[tuple[Territory, datetime.date, str, str], int] = defaultdict(int)

    def add(
        self,
        programme: Programme,
        kind: str,
        title: str,
        start: datetime.datetime,
        village: Territory,
        *,
        area: Territory | None = None,
        covered: list[Territory] | None = None,
        head_count: int | None = None,
        place: str = "",
        organisers: list[Organisation] | None = None,
        partners: list[Organisation] | None = None,
        invitees: list[Any] | None = None,
        days: int = 0,
        outcome: str = "",
    ) -> None:
        if start > self.now:
            return
        activity = Activity(
            programme=programme,
            kind=kind,
            title=title,
            starts_at=start,
            ends_at=start + datetime.timedelta(days=days, hours=3),
            village=village,
            area=area or village,
            regency_code=village.regency_code,
            district_code=village.district_code,
            place=place,
            head_count=head_count,
            grace_minutes=15,
            organiser_unit=programme.lead_unit,
            outcome=outcome,
        )
        villages = covered or [village]
        if village not in villages:
            villages = [village, *villages]
        self.activities.append(activity)
        self.covered.append(villages)
        self.organisers.append(organisers or [])
        self.partners.append(partners or [])
        self.invitees.append(invitees or [])
        month = month_start(start)
        self.metrics[(village, month, programme_metrics.ACTIVITIES_HELD, programme.code)] += 1
        for v in villages:
            self.metrics[(v, month, programme_metrics.ACTIVITIES_COUNT, programme.code)] += 1
        if head_count:
            self.metrics[(village, month, programme_metrics.HEAD_COUNT, programme.code)] += (
                head_count
            )

    def attendance(self, invitee: Any, start: datetime.datetime) -> tuple[str, str, int, str]:
        """(response, status, minutes after the start, representative) for one invitee.

        Leaders answer and come more often than other residents, education helps a little, and
        participation improves slowly over the years (the article's finding, made measurable)."""
        rng = self.rng
        if isinstance(invitee, Organisation):
            leader, edu_bonus = True, 0.05
        else:
            leader = invitee.is_leader
            edu_bonus = {
                Education.NONE: -0.08, Education.SD: -0.05, Education.SMP: 0.0,
                Education.SMA: 0.04, Education.DIPLOMA: 0.06, Education.BACHELOR: 0.08,
                Education.POSTGRADUATE: 0.08,
            }.get(invitee.education, 0.0)  # fmt: skip
        trend = 0.025 * (start.year - 2021)
        respond = (0.82 if leader else 0.45) + trend
        came = (0.70 if leader else 0.40) + edu_bonus + trend
        represented = 0.07 if leader else 0.16
        excused = 0.06 if leader else 0.05
        late = 0.18 if leader else 0.34
        response = Response.PENDING
        if rng.random() < respond:
            response = Response.ACCEPTED if rng.random() < 0.85 else Response.DECLINED
        r = rng.random()
        if r < came:
            if rng.random() < late:
                return response, AttendanceStatus.LATE, rng.randint(16, 80), ""
            return response, AttendanceStatus.PRESENT, rng.randint(-25, 15), ""
        if r < came + represented:
            return (
                response,
                AttendanceStatus.REPRESENTED,
                rng.randint(-10, 40),
                rng.choice(REPRESENTATIVES),
            )
        if r < came + represented + excused:
            return (
                (Response.DECLINED if response != Response.PENDING else response),
                AttendanceStatus.EXCUSED,
                0,
                "",
            )
        return response, AttendanceStatus.ABSENT, 0, ""

    def save(self) -> int:
        Activity.objects.bulk_create(self.activities, batch_size=1000)
        through_v = Activity.villages.through
        through_o = Activity.organisers.through
        through_p = Activity.partners.through
        through_v.objects.bulk_create(
            [through_v(activity_id=a.pk, territory_id=v.pk)
             for a, vs in zip(self.activities, self.covered, strict=True) for v in vs],
            batch_size=2000,
        )  # fmt: skip
        through_o.objects.bulk_create(
            [through_o(activity_id=a.pk, organisation_id=o.pk)
             for a, os in zip(self.activities, self.organisers, strict=True) for o in os],
            batch_size=2000,
        )  # fmt: skip
        through_p.objects.bulk_create(
            [through_p(activity_id=a.pk, organisation_id=o.pk)
             for a, os in zip(self.activities, self.partners, strict=True) for o in os],
            batch_size=2000,
        )  # fmt: skip
        invitations: list[Invitation] = []
        for activity, invitees in zip(self.activities, self.invitees, strict=True):
            month = month_start(activity.starts_at)
            key = activity.programme.code
            for invitee in invitees:
                response, status, minutes, rep = self.attendance(invitee, activity.starts_at)
                sent = activity.starts_at - datetime.timedelta(days=self.rng.randint(3, 10))
                invitations.append(
                    Invitation(
                        activity=activity,
                        person=invitee if isinstance(invitee, Person) else None,
                        organisation=invitee if isinstance(invitee, Organisation) else None,
                        code=_code(),
                        sent_at=sent,
                        response=response,
                        responded_at=sent + datetime.timedelta(days=1)
                        if response != Response.PENDING
                        else None,
                        status=status,
                        checked_in_at=activity.starts_at + datetime.timedelta(minutes=minutes)
                        if status
                        in (
                            AttendanceStatus.PRESENT,
                            AttendanceStatus.LATE,
                            AttendanceStatus.REPRESENTED,
                        )
                        else None,
                        representative_name=rep,
                    )
                )
                village = activity.village
                self.metrics[(village, month, programme_metrics.INVITED, key)] += 1
                if response != Response.PENDING:
                    self.metrics[(village, month, programme_metrics.RESPONDED, key)] += 1
                for metric in STATUS_METRICS[status]:
                    self.metrics[(village, month, metric, key)] += 1
        Invitation.objects.bulk_create(invitations, batch_size=2000)
        self._save_metrics()
        return len(invitations)

    def _save_metrics(self) -> None:
        existing = {
            (m.village_id, m.month, m.metric, m.key): m
            for m in MonthlyMetric.objects.filter(
                metric__in={k[2] for k in self.metrics}, key__in={k[3] for k in self.metrics}
            )
        }
        new: list[MonthlyMetric] = []
        changed: list[MonthlyMetric] = []
        for (village, month, metric, key), value in self.metrics.items():
            found = existing.get((village.pk, month, metric, key))
            if found is not None:
                found.value += value
                changed.append(found)
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
        MonthlyMetric.objects.bulk_create(new, batch_size=2000)
        MonthlyMetric.objects.bulk_update(changed, ["value"], batch_size=2000)


def build(ctx: dict[str, Any]) -> None:
    rng = ctx["rng"]
    now = timezone.now()
    today = timezone.localdate()
    regency: Territory = ctx["regency"]
    villages: list[Territory] = sorted(ctx["villages"], key=lambda v: v.code)
    districts: list[Territory] = sorted(ctx["districts"], key=lambda d: d.code)
    by_district: dict[str, list[Territory]] = defaultdict(list)
    for v in villages:
        by_district[v.district_code].append(v)
    orgs = ctx["partner_orgs"]
    people = ctx["partner_people"]
    agencies: dict[str, Organisation] = orgs["agencies"]
    town = next(v for v in villages if v.code.startswith("35.03.11.1"))

    programmes = {}
    for code, name, goal, lead, _partner_keys, started in CATALOGUE:
        programmes[code] = Programme(
            code=code, name=name, goal=goal, lead_unit=lead, started_on=started,
            indicators="\n".join(_indicators(code)),
        )  # fmt: skip
    # `jaga polres create` already added the standard catalogue: the demo fills in its own
    # figures for those and adds the rest.
    standard = Programme.objects.in_bulk(list(programmes), field_name="code")
    for code, existing in standard.items():
        wanted = programmes[code]
        for name in ("name", "goal", "lead_unit", "started_on", "indicators"):
            setattr(existing, name, getattr(wanted, name))
        programmes[code] = existing
    Programme.objects.bulk_update(
        list(standard.values()), ["name", "goal", "lead_unit", "started_on", "indicators"]
    )
    Programme.objects.bulk_create([p for c, p in programmes.items() if c not in standard])
    through = Programme.partners.through
    through.objects.bulk_create(
        [
            through(programme_id=programmes[code].pk, organisation_id=agencies[k].pk)
            for code, _n, _g, _l, keys, _s in CATALOGUE
            for k in keys
        ]
        + [
            through(programme_id=programmes[c].pk, organisation_id=orgs["fkpsb"].pk)
            for c in ("FKPSB", "DAMAI", "KAPOLRES_CUP")
        ]  # fmt: skip
    )

    # Adoptions: staggered KTS and FKPM cohorts, Pokdar everywhere at once -----------------
    order = villages[:]
    rng.shuffle(order)
    kts = [(v, _month_between(rng, datetime.date(2020, 6, 1), datetime.date(2023, 12, 1), 6))
           for v in order[:KTS_VILLAGES]]  # fmt: skip
    rng.shuffle(order)
    fkpm = [(v, _month_between(rng, datetime.date(2020, 1, 1), datetime.date(2023, 9, 1), 6))
            for v in order[:FKPM_VILLAGES]]  # fmt: skip
    adoptions = [
        ProgrammeAdoption(programme=programmes["KTS"], village=v, adopted_on=d) for v, d in kts
    ]
    adoptions += [
        ProgrammeAdoption(programme=programmes["FKPM"], village=v, adopted_on=d) for v, d in fkpm
    ]
    adoptions += [
        ProgrammeAdoption(
            programme=programmes["POKDAR"], village=v, adopted_on=datetime.date(2021, 6, 1)
        )
        for v in villages
    ]
    ProgrammeAdoption.objects.bulk_create(adoptions, batch_size=1000)
    forums = found_fkpm_bulk(ctx, fkpm)

    rec = Recorder(rng, now)

    # The article's mass events -------------------------------------------------------------
    perguruan: list[Organisation] = orgs["perguruan"]
    for code, (kind, title, start, days, head, place) in MASS_EVENTS.items():
        partners: list[Organisation] = []
        organisers: list[Organisation] = []
        if code in ("DAMAI", "KAPOLRES_CUP"):
            partners, organisers = perguruan, [orgs["fkpsb"]]
        elif code == "GNPKL":
            partners = [*orgs["schools"], agencies["dishub"]]
        elif code == "SIAGA_BENCANA":
            partners = [agencies[k] for k in ("kodim", "pln", "pom", "bpbd", "damkar",
                                              "satpolpp", "dishub", "dinkes", "pmi")]  # fmt: skip
        rec.add(
            programmes[code], kind, title, _aware(start), town, area=regency, head_count=head,
            place=place, organisers=organisers, partners=partners, days=days,
            invitees=perguruan if code == "DAMAI" else None,
        )  # fmt: skip
    # FKPSB formed in every kecamatan (December 2021).
    for i, d in enumerate(districts):
        rec.add(programmes["FKPSB"], ActivityKind.MEETING, f"Pembentukan FKPSB Kecamatan {d.name.title()}",
                _aware(_dt(2021, 12, 11 + i % 14, 9, 0)), by_district[d.code][0],
                area=d, organisers=[orgs["fkpsb"]], partners=perguruan)  # fmt: skip
    # Installation of the 15 Dai Kamtibmas: every one of them came.
    rec.add(programmes["DAI"], ActivityKind.CEREMONY, "Pelantikan 15 Dai Kamtibmas",
            _aware(_dt(2021, 9, 14, 9, 0)), town, area=regency,
            partners=[agencies["kemenag"]], head_count=15)  # fmt: skip

    # Recurring work ------------------------------------------------------------------------
    for year in range(2021, today.year + 1):
        for month in range(1, 13):
            first = _dt(year, month, 1, 21, 0)
            for code, title in (
                ("TBKB", "Razia knalpot brong"),
                ("TBBL", "Razia balap liar dan miras"),
            ):
                for _ in range(rng.randint(3, 6)):
                    v = rng.choice(villages)
                    rec.add(programmes[code], ActivityKind.RAID, f"{title} {v.name.title()}",
                            _aware(first + datetime.timedelta(days=rng.randint(0, 27))), v)  # fmt: skip
            v = rng.choice(villages)
            rec.add(programmes["DAI"], ActivityKind.COUNSELLING, f"Pengajian kamtibmas {v.name.title()}",
                    _aware(_dt(year, month, rng.randint(1, 28), 19, 30)), v,
                    head_count=rng.randint(40, 160), partners=[orgs["dai"]])  # fmt: skip
            v = rng.choice(villages)
            rec.add(programmes["POLRES_PEDULI"], ActivityKind.SOCIAL_AID, f"Bantuan sembako {v.name.title()}",
                    _aware(_dt(year, month, rng.randint(1, 28), 9, 0)), v,
                    head_count=rng.randint(20, 60), partners=[agencies["dinsos"]])  # fmt: skip
    for month in range(7, 13):
        for _ in range(4):
            v = rng.choice(villages)
            rec.add(programmes["VAKSIN_SEMERU"], ActivityKind.VACCINATION, f"Serbuan vaksinasi {v.name.title()}",
                    _aware(_dt(2021, month, rng.randint(1, 28), 8, 0)), v,
                    head_count=rng.randint(150, 600), partners=[agencies["dinkes"]])  # fmt: skip
    for code, kind, title, count in (
        ("PIRAMIDA", ActivityKind.SOCIAL_AID, "Piramida: sembako dan bedah rumah", 6),
        ("VAKSIN_BUS", ActivityKind.VACCINATION, "Bus vaksinasi keliling", 8),
        ("PAMOR_KERIS", ActivityKind.PATROL, "Operasi Yustisi prokes", 8),
        ("KANDANI_LURAH", ActivityKind.MEETING, "Kandani Lurah: asistensi anggaran desa", 5),
        ("KANDANI_KS", ActivityKind.MEETING, "Kandani Kepala Sekolah", 4),
        ("SATGAS_COVID", ActivityKind.MEETING, "Rapat Satgas COVID-19", 6),
        ("MURAL", ActivityKind.COMPETITION, "Lomba mural desa wisata", 3),
        ("TBP", ActivityKind.SOCIAL_AID, "Pembebasan pasung", 4),
        ("KID", ActivityKind.MEETING, "Pembentukan kawasan inklusif disabilitas", 3),
        ("JAGA_CC", ActivityKind.CEREMONY, "Layanan terpadu Jaga Trenggalek Command Centre", 2),
        ("POHON_10K", ActivityKind.SOCIAL_AID, "Penanaman pohon sabuk hijau", 5),
        ("JAGA_PSN", ActivityKind.MEETING, "Mediasi warga proyek strategis nasional", 4),
        ("HANI", ActivityKind.COUNSELLING, "Penyuluhan anti narkoba", 4),
        ("RASA", ActivityKind.SPORT, "RASA: olahraga bersama dan berbagi sembako", 6),
    ):
        programme = programmes[code]
        first_day = programme.started_on or datetime.date(2021, 1, 1)
        for _ in range(count):
            v = rng.choice(villages)
            day = _month_between(rng, first_day, min(today, datetime.date(2023, 12, 1)))
            rec.add(programme, kind, f"{title} {v.name.title()}",
                    _aware(_dt(day.year, day.month, day.day, 9, 0)), v,
                    head_count=rng.randint(30, 300),
                    )  # fmt: skip

    # Kampung Tangguh Semeru: monthly ronda/posko activity after adoption.
    for v, adopted in kts:
        day = adopted
        while day <= today:
            rec.add(programmes["KTS"], ActivityKind.PATROL, f"Ronda Kampung Tangguh {v.name.title()}",
                    _aware(_dt(day.year, day.month, min(day.day, 28), 20, 0)), v,
                    head_count=rng.randint(8, 25))  # fmt: skip
            day = _add_months(day, 2)

    # Meetings with invitations: FKPM quarterly per village, Pokdar quarterly per kecamatan.
    residents: dict[str, list[Person]] = people["residents"]
    heads: dict[str, Person] = people["village_heads"]
    for v, adopted in fkpm:
        day = _add_months(adopted, 1)
        while day <= today:
            invitees: list[Any] = [heads[v.code], *rng.sample(residents[v.code], 11)]
            rec.add(programmes["FKPM"], ActivityKind.MEETING, f"Rapat {forums[v.code].name}",
                    _aware(_dt(day.year, day.month, min(day.day, 28), 19, 30)), v,
                    organisers=[forums[v.code]], invitees=invitees)  # fmt: skip
            day = _add_months(day, 3)
    pokdar_members: dict[str, list[Person]] = defaultdict(list)
    for p in people["pokdar"]:
        pokdar_members[p.village.district_code].append(p)
    for d in districts:
        unit = orgs["pokdar_units"][d.code]
        day = datetime.date(2021, 7, 10)
        while day <= today:
            rec.add(programmes["POKDAR"], ActivityKind.MEETING, f"Rapat koordinasi {unit.name}",
                    _aware(_dt(day.year, day.month, day.day, 9, 0)),
                    by_district[d.code][0], area=d, organisers=[unit],
                    invitees=pokdar_members[d.code])  # fmt: skip
            day = _add_months(day, 3)
    # The Dai installation invited all 15; they all came on time.
    invited = rec.save()
    installation = Activity.objects.get(programme=programmes["DAI"], kind=ActivityKind.CEREMONY)
    dai_invites = [
        Invitation(
            activity=installation,
            person=p,
            code=_code(),
            sent_at=installation.starts_at - datetime.timedelta(days=7),
            response=Response.ACCEPTED,
            responded_at=installation.starts_at - datetime.timedelta(days=6),
            status=AttendanceStatus.PRESENT,
            checked_in_at=installation.starts_at - datetime.timedelta(minutes=10),
        )  # fmt: skip
        for p in people["dai"]
    ]
    Invitation.objects.bulk_create(dai_invites)
    extra = Recorder(rng, now)
    installed = month_start(installation.starts_at)
    for metric in (
        programme_metrics.INVITED,
        programme_metrics.RESPONDED,
        programme_metrics.ATTENDED,
        programme_metrics.ON_TIME,
    ):
        extra.metrics[(installation.village, installed, metric, "DAI")] += len(dai_invites)
    extra._save_metrics()
    ctx["stdout"].write(
        f"    {len(programmes)} programmes, {len(adoptions)} adoptions, "
        f"{len(rec.activities)} activities, {invited + len(dai_invites)} invitations\n"
    )


def _add_months(day: datetime.date, months: int) -> datetime.date:
    return add_months(day, months).replace(day=min(day.day, 28))


def _indicators(code: str) -> list[str]:
    common = {
        "KTS": ["Posko dan relawan aktif", "Ronda warga terjadwal", "Gangguan kamtibmas per bulan"],
        "FKPM": ["Rapat forum per triwulan", "Tingkat kehadiran undangan", "Masalah terselesaikan"],
        "POKDAR": ["5 anggota per desa/kelurahan", "Rapat koordinasi per triwulan"],
        "TBKB": ["Razia per bulan", "Knalpot brong ditindak"],
        "TBBL": ["Razia per bulan", "Balap liar dibubarkan"],
    }
    return common.get(code, ["Kegiatan terlaksana", "Jumlah peserta"])
