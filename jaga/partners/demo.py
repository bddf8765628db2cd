"""The demo's partnership registry for Kabupaten Trenggalek (synthetic people, real structures).

The structures and figures come from the seed article: a Pokdar Kamtibmas "Citra Bhayangkara"
unit per kecamatan with 5 residents from each village, FKPSB with its 24 perguruan silat,
15 Dai Kamtibmas, the agencies of the disaster-preparedness parade, schools, media, and FKPM
forums founded by agreement of the Kapolsek, the village head and community leaders. Names of
people are generated; everything is written with bulk_create to stay fast.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from jaga.accounts.models import Posting, Role
from jaga.core.demo import FIRST, LAST
from jaga.partners.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    CommunityRole,
    Education,
    MemberRole,
    Membership,
    Organisation,
    OrgKind,
    PartyRole,
    Person,
)
from jaga.territory.models import Territory

ORDER = 20

POKDAR_FOUNDED = datetime.date(2021, 6, 1)
FKPSB_FOUNDED = datetime.date(2021, 12, 10)  # initiated at "Sego Gegok", December 2021
DAI_INSTALLED = datetime.date(2021, 9, 14)

PERGURUAN = [
    "Persaudaraan Setia Hati Terate (PSHT)", "Persaudaraan Setia Hati Winongo Tunas Muda",
    "Pagar Nusa", "IKS.PI Kera Sakti", "Perisai Diri", "Tapak Suci Putera Muhammadiyah",
    "Merpati Putih", "Persinas ASAD", "Cempaka Putih", "Setia Hati Tuhu Tekad", "Pro Patria",
    "Perisai Putih", "Sapu Jagad", "Kembang Sore", "Joko Tole", "Margaluyu", "Nur Harias",
    "Porbikawa", "Kempo Perkemi", "Karate Inkai", "Karate Lemkari", "Taekwondo Indonesia",
    "Wushu Indonesia", "Tarung Derajat",
]  # fmt: skip
assert len(PERGURUAN) == 24

# The disaster-preparedness parade (16 December 2021): Polri, TNI, PLN, POM TNI, BPBD, Damkar,
# Satpol PP, Dishub, Dinkes and PMI; and the other agencies the article's programmes name.
AGENCIES = {
    "kodim": "Kodim 0806/Trenggalek (TNI)",
    "pln": "PLN ULP Trenggalek",
    "pom": "Subdenpom TNI Trenggalek",
    "bpbd": "BPBD Kabupaten Trenggalek",
    "damkar": "Dinas Pemadam Kebakaran (Damkar)",
    "satpolpp": "Satpol PP Kabupaten Trenggalek",
    "dishub": "Dinas Perhubungan (Dishub)",
    "dinkes": "Dinas Kesehatan (Dinkes)",
    "pmi": "PMI Kabupaten Trenggalek",
    "pariwisata": "Dinas Pariwisata dan Kebudayaan",
    "dinsos": "Dinas Sosial",
    "bnk": "Badan Narkotika Kabupaten (BNK)",
    "kemenag": "Kantor Kementerian Agama Kabupaten Trenggalek",
    "pemkab": "Pemerintah Kabupaten Trenggalek",
}
PARADE_AGENCIES = ["kodim", "pln", "pom", "bpbd", "damkar", "satpolpp", "dishub", "dinkes", "pmi"]
SCHOOLS = [
    "SMA Negeri 1 Trenggalek", "SMK Negeri 1 Trenggalek", "SMP Negeri 1 Trenggalek",
    "SMP Negeri 2 Trenggalek", "SD Negeri 1 Tamanan", "MTs Negeri 1 Trenggalek",
    "SMA Negeri 1 Durenan", "SMK Negeri 1 Pogalan",
]  # fmt: skip
MEDIA = ["PWI Trenggalek", "Radio Swara Trenggalek"]
OCCUPATIONS = [
    "Petani", "Pedagang", "Buruh tani", "Nelayan", "Wiraswasta", "Guru", "Ibu rumah tangga",
    "Perangkat desa", "Pengrajin", "Sopir", "Karyawan swasta", "Peternak",
]  # fmt: skip
FEMALE_FIRST = {"Anik", "Endah", "Rina", "Sri", "Tri", "Yuli"}

# Education of Trenggalek adults, roughly (many finished only SD): the weights for the demo.
EDUCATION_WEIGHTS = [
    (Education.NONE, 4), (Education.SD, 36), (Education.SMP, 24), (Education.SMA, 26),
    (Education.DIPLOMA, 3), (Education.BACHELOR, 6), (Education.POSTGRADUATE, 1),
]  # fmt: skip
LEADER_EDUCATION = [
    (Education.SD, 12), (Education.SMP, 20), (Education.SMA, 40), (Education.DIPLOMA, 8),
    (Education.BACHELOR, 17), (Education.POSTGRADUATE, 3),
]  # fmt: skip


def _pick(rng: Any, weights: Sequence[tuple[str, int]]) -> str:
    return str(rng.choices([w[0] for w in weights], [w[1] for w in weights])[0])


class PeopleMaker:
    def __init__(self, rng: Any) -> None:
        self.rng = rng
        self.people: list[Person] = []

    def make(
        self, village: Territory, *, leader: bool = False, role: str = "", position: str = ""
    ) -> Person:
        rng = self.rng
        first = rng.choice(FIRST)
        roles = [role] if role else ([rng.choice(CommunityRole.values)] if leader else [])
        person = Person(
            full_name=f"{first} {rng.choice(LAST)}",
            village=village,
            regency_code=village.regency_code,
            gender="f" if first in FEMALE_FIRST or role == CommunityRole.TOKOH_PEREMPUAN else "m",
            birth_year=rng.randint(1955, 1998) if leader else rng.randint(1960, 2004),
            education=_pick(rng, LEADER_EDUCATION if leader else EDUCATION_WEIGHTS),
            occupation=rng.choice(OCCUPATIONS),
            community_roles=roles,
            is_leader=bool(roles),
            position=position,
        )
        self.people.append(person)
        return person

    def save(self) -> None:
        Person.objects.bulk_create(self.people, batch_size=1000)


def build(ctx: dict[str, Any]) -> None:
    rng = ctx["rng"]
    regency: Territory = ctx["regency"]
    districts: list[Territory] = sorted(ctx["districts"], key=lambda d: d.code)
    villages: list[Territory] = sorted(ctx["villages"], key=lambda v: v.code)
    by_district: dict[str, list[Territory]] = {}
    for v in villages:
        by_district.setdefault(v.district_code, []).append(v)
    town = next(v for v in villages if v.district_code == "35.03.11")

    # Organisations -----------------------------------------------------------------------
    agencies = {
        key: Organisation(kind=OrgKind.AGENCY, name=name, territory=regency)
        for key, name in AGENCIES.items()
    }
    fkpsb = Organisation(
        kind=OrgKind.FKPSB,
        name="Forum Komunikasi Pencak Silat dan Beladiri (FKPSB) Kabupaten Trenggalek",
        territory=regency,
        founded_on=FKPSB_FOUNDED,
        note="Diinisiasi saat Sego Gegok di ruang Rustam Adji, Desember 2021.",
    )
    pokdar = Organisation(
        kind=OrgKind.POKDAR,
        name='Pokdar Kamtibmas "Citra Bhayangkara" Kabupaten Trenggalek',
        territory=regency,
        founded_on=POKDAR_FOUNDED,
    )
    dai = Organisation(
        kind=OrgKind.DAI,
        name="Dai Kamtibmas Polres Trenggalek",
        territory=regency,
        founded_on=DAI_INSTALLED,
        note="Dilantik bersama Kantor Kementerian Agama untuk menjaga kerukunan umat beragama.",
    )
    Organisation.objects.bulk_create([*agencies.values(), fkpsb, pokdar, dai])
    perguruan = [
        Organisation(kind=OrgKind.PERGURUAN, name=name, territory=regency, parent=fkpsb)
        for name in PERGURUAN
    ]
    pokdar_units = {
        d.code: Organisation(
            kind=OrgKind.POKDAR,
            name=f'Pokdar Kamtibmas "Citra Bhayangkara" Kecamatan {d.name.title()}',
            territory=d,
            parent=pokdar,
            founded_on=POKDAR_FOUNDED,
        )
        for d in districts
    }
    schools = [
        Organisation(kind=OrgKind.SCHOOL, name=name, territory=town.parent or regency)
        for name in SCHOOLS
    ]
    media = [Organisation(kind=OrgKind.MEDIA, name=name, territory=regency) for name in MEDIA]
    Organisation.objects.bulk_create([*perguruan, *pokdar_units.values(), *schools, *media])

    # People and memberships ---------------------------------------------------------------
    maker = PeopleMaker(rng)
    pokdar_members: list[tuple[Person, Organisation, str]] = []
    for d in districts:
        for v in by_district.get(d.code, []):
            for i in range(5):
                p = maker.make(v, leader=i < 2)
                pokdar_members.append(
                    (
                        p,
                        pokdar_units[d.code],
                        MemberRole.COORDINATOR if i == 0 else MemberRole.MEMBER,
                    )
                )
    dai_people = [
        maker.make(rng.choice(villages), leader=True, role=CommunityRole.TOKOH_AGAMA)
        for _ in range(15)
    ]
    village_heads = {
        v.code: maker.make(
            v,
            leader=True,
            role=CommunityRole.TOKOH_MASYARAKAT,
            position="Lurah" if v.kind == "kelurahan" else "Kepala Desa",
        )  # fmt: skip
        for v in villages
    }
    # Residents and leaders of every village: the invitees of FKPM and Kampung Tangguh meetings.
    residents: dict[str, list[Person]] = {}
    for v in villages:
        residents[v.code] = [maker.make(v, leader=i < 4) for i in range(14)]
    maker.save()

    memberships = [
        Membership(person=p, organisation=o, role=r, started_on=POKDAR_FOUNDED)
        for p, o, r in pokdar_members
    ]
    memberships += [
        Membership(
            person=p,
            organisation=dai,
            role=MemberRole.CHAIR if i == 0 else MemberRole.MEMBER,
            started_on=DAI_INSTALLED,
        )
        for i, p in enumerate(dai_people)
    ]
    Membership.objects.bulk_create(memberships, batch_size=1000)
    # Two Pokdar members moved away in 2024: their villages now lack one member each.
    leavers = list(
        Membership.objects.filter(organisation__parent=pokdar, role=MemberRole.MEMBER).order_by(
            "id"
        )[:2]
    )
    for m in leavers:
        m.ended_on = datetime.date(2024, 7, 31)
    Membership.objects.bulk_update(leavers, ["ended_on"])

    # The demo partner coordinator coordinates the Pokdar unit of Kecamatan Trenggalek.
    Posting.objects.filter(user__username="mitra", role=Role.PARTNER).update(
        organisation_id=pokdar_units["35.03.11"].pk
    )

    # Agreements: Pokdar installation and the FKPSB peace declaration MoU -----------------
    kapolres = "AKBP Kapolres Trenggalek"
    peace = Agreement.objects.create(
        title="MoU Deklarasi Damai Perguruan Pencak Silat se-Kabupaten Trenggalek",
        kind=AgreementKind.PEACE,
        territory=regency,
        organisation=fkpsb,
        signed_on=datetime.date(2021, 12, 22),
        note="Ditandatangani seluruh 24 perguruan silat pada deklarasi damai dan pengukuhan FKPSB.",
    )
    AgreementParty.objects.bulk_create(
        [AgreementParty(agreement=peace, role=PartyRole.POLICE, name=kapolres)]
        + [
            AgreementParty(
                agreement=peace, role=PartyRole.ORGANISATION, name=o.name, organisation=o
            )
            for o in perguruan
        ]
    )
    dai_mou = Agreement.objects.create(
        title="Pelantikan dan kerja sama Dai Kamtibmas",
        kind=AgreementKind.MOU,
        territory=regency,
        organisation=dai,
        signed_on=DAI_INSTALLED,
    )
    AgreementParty.objects.bulk_create(
        [
            AgreementParty(agreement=dai_mou, role=PartyRole.POLICE, name=kapolres),
            AgreementParty(
                agreement=dai_mou,
                role=PartyRole.GOVERNMENT,
                name=agencies["kemenag"].name,
                organisation=agencies["kemenag"],
            ),  # fmt: skip
        ]
    )
    ctx.update(
        partner_orgs={
            "agencies": agencies,
            "fkpsb": fkpsb,
            "perguruan": perguruan,
            "pokdar": pokdar,
            "pokdar_units": pokdar_units,
            "dai": dai,
            "schools": schools,
            "media": media,
        },  # fmt: skip
        partner_people={
            "residents": residents,
            "village_heads": village_heads,
            "dai": dai_people,
            "pokdar": [p for p, _o, _r in pokdar_members],
        },  # fmt: skip
    )


def found_fkpm_bulk(
    ctx: dict[str, Any], adoptions: list[tuple[Territory, datetime.date]]
) -> dict[str, Organisation]:
    """FKPM forums for the villages that adopted the programme, each with its founding
    agreement naming the Kapolsek, the village head and community leaders (called by the
    programmes demo, which knows the adoption dates)."""
    rng = ctx["rng"]
    people = ctx["partner_people"]
    local_names = ["Guyub Rukun", "Rukun Santoso", "Tentrem", "Sedulur Tunggal", "Mekar Sari",
                   "Sumber Rejeki", "Gotong Royong", "Ayem Tentrem"]  # fmt: skip
    forums = {
        v.code: Organisation(
            kind=OrgKind.FKPM,
            name=f"FKPM {v.name.title()}",
            local_name=rng.choice(local_names),
            territory=v,
            founded_on=day,
        )
        for v, day in adoptions
    }
    Organisation.objects.bulk_create(list(forums.values()))
    agreements = {
        code: Agreement(
            title=f"Kesepakatan pembentukan {org.name}",
            kind=AgreementKind.FOUNDING,
            territory=org.territory,
            organisation=org,
            signed_on=org.founded_on or datetime.date(2021, 1, 1),
        )
        for code, org in forums.items()
    }
    Agreement.objects.bulk_create(list(agreements.values()))
    parties: list[AgreementParty] = []
    members: list[Membership] = []
    for v, day in adoptions:
        org, agreement = forums[v.code], agreements[v.code]
        head = people["village_heads"][v.code]
        leaders = [p for p in people["residents"][v.code] if p.is_leader]
        parties += [
            AgreementParty(agreement=agreement, role=PartyRole.POLICE,
                           name=f"Kapolsek {v.parent.name.title() if v.parent else ''}".strip()),
            AgreementParty(agreement=agreement, role=PartyRole.GOVERNMENT, name=head.full_name, person=head),
            *(AgreementParty(agreement=agreement, role=PartyRole.COMMUNITY, name=p.full_name, person=p)
              for p in leaders[:3]),
        ]  # fmt: skip
        members.append(
            Membership(person=head, organisation=org, role=MemberRole.ADVISER, started_on=day)
        )
        for i, p in enumerate(leaders):
            members.append(
                Membership(person=p, organisation=org,
                           role=MemberRole.CHAIR if i == 0 else MemberRole.MEMBER, started_on=day)
            )  # fmt: skip
    AgreementParty.objects.bulk_create(parties, batch_size=1000)
    Membership.objects.bulk_create(members, batch_size=1000)
    return forums
