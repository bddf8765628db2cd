"""The Trenggalek demo's base: territory, police units, officers and one user per role.

Everything is generated from a fixed seed and marked as demo data (`User.is_demo`,
`Population.synthetic`). Other apps add to it in their own `demo.py`.
"""

from __future__ import annotations

import datetime
from typing import Any

from jaga.accounts.models import Posting, Role, User
from jaga.territory.models import (
    Level,
    PoliceUnit,
    PolmasStatus,
    Population,
    Territory,
)
from jaga.territory.polres import create_polres
from jaga.territory.services import load_territory

REGENCY = "35.03"
REGENCY_POPULATION_2023 = 756_109
POPULATION_SOURCE = "Sintetis (demo): dibagi dari proyeksi BPS 2023 Kabupaten Trenggalek 756.109"
MUNJUNGAN = "35.03.02.2008"
DEMO_PASSWORD = "jaga-demo-2026"  # noqa: S105 - printed for demo logins only
POSTED_FROM = datetime.date(2021, 1, 1)

DEMO_USERS = [
    # username, role, territory, full name, rank
    ("admin", Role.ADMIN, REGENCY, "Admin Sistem Jaga", ""),
    ("kapolres", Role.LEADER, REGENCY, "Budi Santoso", "AKBP"),
    ("kasatbinmas", Role.SATBINMAS, REGENCY, "Siti Rahmawati", "AKP"),
    ("kapolsek", Role.POLSEK, "35.03.11", "Agus Prasetyo", "AKP"),
    ("bhabin", Role.BHABIN, None, "Eko Wahyudi", "Aipda"),
    ("mitra", Role.PARTNER, "35.03.11", "Hadi Sutrisno", ""),
    ("warga", Role.PUBLIC, "35.03.11.1002", "Dewi Lestari", ""),
]

FIRST = [
    "Ahmad",
    "Agus",
    "Bambang",
    "Budi",
    "Dedi",
    "Dwi",
    "Eko",
    "Fajar",
    "Gatot",
    "Hadi",
    "Hendra",
    "Imam",
    "Joko",
    "Kukuh",
    "Lukman",
    "Mochamad",
    "Nanang",
    "Nur",
    "Purnomo",
    "Rudi",
    "Sigit",
    "Slamet",
    "Sugeng",
    "Teguh",
    "Wahyu",
    "Yudi",
    "Anik",
    "Endah",
    "Rina",
    "Sri",
    "Tri",
    "Yuli",
]
LAST = [
    "Santoso",
    "Prasetyo",
    "Wibowo",
    "Susanto",
    "Hidayat",
    "Setiawan",
    "Kurniawan",
    "Nugroho",
    "Saputra",
    "Wijaya",
    "Hartono",
    "Suryadi",
    "Purwanto",
    "Haryanto",
    "Rahmawati",
    "Suprapto",
    "Sulistyo",
    "Maulana",
    "Firmansyah",
    "Handoko",
    "Utomo",
    "Sudarsono",
]
RANKS = ["Bripka", "Aipda", "Aiptu", "Brigpol", "Bripka", "Aipda"]


def is_loaded() -> bool:
    return User.objects.filter(is_demo=True, username="admin").exists()


def _split_population(rng: Any, villages: list[Territory]) -> list[int]:
    weights = [rng.lognormvariate(0, 0.45) for _ in villages]
    total = sum(weights)
    counts = [int(REGENCY_POPULATION_2023 * w / total) for w in weights]
    # Hand the rounding remainder out one by one so the sum is exact.
    for i in range(REGENCY_POPULATION_2023 - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def build(ctx: dict[str, Any]) -> None:
    rng = ctx["rng"]
    out = ctx["stdout"]
    out.write("  demo: territory of Kabupaten Trenggalek …")
    load_territory(REGENCY)
    regency = Territory.objects.get(code=REGENCY)
    districts = list(Territory.objects.filter(level=Level.DISTRICT, parent=regency))
    villages = list(Territory.objects.filter(level=Level.VILLAGE, regency_code=REGENCY))

    counts = _split_population(rng, villages)
    Population.objects.bulk_create(
        [
            Population(village=v, year=2023, count=c, source=POPULATION_SOURCE, synthetic=True)
            for v, c in zip(villages, counts, strict=True)
        ]
    )
    Territory.objects.filter(code=MUNJUNGAN).update(
        polmas_status=PolmasStatus.SELF_MANAGED,
        polmas_note=(
            "Warga Munjungan menyelesaikan gangguan kamtibmas secara mandiri; Polmas tidak aktif "
            "karena tidak diperlukan (artikel Polres Trenggalek, 2022)."
        ),
    )

    # The demo's Polres is one instance of what `jaga polres create` sets up for any regency.
    setup = create_polres(REGENCY)
    polres = setup.polres
    polsek_by_district: dict[str, PoliceUnit] = setup.polsek_by_district

    # Officers: most villages get their own Bhabinkamtibmas; a few share one officer; a
    # realistic few are uncovered (about 46% nationally; Trenggalek does much better).
    order = villages[:]
    rng.shuffle(order)
    uncovered = {v.code for v in order[:7]}
    doubles = order[7:19]  # 12 villages covered by 6 officers, two each
    singles = order[19:]
    officer_villages: list[list[Territory]] = [[v] for v in singles]
    officer_villages += [[doubles[i], doubles[i + 1]] for i in range(0, len(doubles), 2)]
    users: list[User] = []
    postings: list[tuple[int, list[Territory]]] = []
    for index, posted in enumerate(officer_villages):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        user = User(
            username=f"bhabin{index + 1:03d}",
            full_name=name,
            rank=rng.choice(RANKS),
            nrp=f"{rng.randint(70, 99)}{rng.randint(100000, 999999)}",
            is_demo=True,
        )
        user.set_unusable_password()
        users.append(user)
        postings.append((index, posted))
    User.objects.bulk_create(users)
    saved = {
        u.username: u for u in User.objects.filter(username__startswith="bhabin", is_demo=True)
    }
    Posting.objects.bulk_create(
        [
            Posting(
                user=saved[f"bhabin{index + 1:03d}"],
                role=Role.BHABIN,
                territory=village,
                unit=polsek_by_district[village.district_code],
                valid_from=POSTED_FROM,
            )
            for index, posted in postings
            for village in posted
        ]
    )

    demo_users: dict[str, User] = {}
    for username, role, code, full_name, rank in DEMO_USERS:
        user = User(username=username, full_name=full_name, rank=rank, is_demo=True)
        user.set_password(DEMO_PASSWORD)
        if role == Role.ADMIN:
            user.is_staff = True
            user.is_superuser = True
        user.save()
        demo_users[username] = user
        if role == Role.BHABIN:
            # The demo Bhabinkamtibmas covers two villages of Kecamatan Trenggalek.
            for village_code in ("35.03.11.1002", "35.03.11.2001"):
                village = Territory.objects.get(code=village_code)
                Posting.objects.filter(role=Role.BHABIN, territory=village).delete()
                Posting.objects.create(
                    user=user,
                    role=role,
                    territory=village,
                    unit=polsek_by_district["35.03.11"],
                    valid_from=POSTED_FROM,
                )
            continue
        territory = Territory.objects.get(code=code)
        unit: PoliceUnit | None = (
            polsek_by_district.get(territory.district_code) if role == Role.POLSEK else None
        )
        if role in (Role.LEADER, Role.SATBINMAS):
            unit = polres
        Posting.objects.create(
            user=user, role=role, territory=territory, unit=unit, valid_from=POSTED_FROM
        )
    # Officers whose villages were all handed to the demo Bhabinkamtibmas keep no posting.
    User.objects.filter(
        is_demo=True, username__startswith="bhabin0", postings__isnull=True
    ).delete()
    covered = set(
        Posting.objects.filter(role=Role.BHABIN).values_list("territory__code", flat=True)
    )
    uncovered = {v.code for v in villages if v.code not in covered}
    ctx.update(
        regency=regency,
        districts=districts,
        villages=villages,
        uncovered=uncovered,
        polres=polres,
        polsek_by_district=polsek_by_district,
        users=demo_users,
    )


def logins_text() -> str:
    lines = ["", f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, role, code, _full_name, _rank in DEMO_USERS:
        where = code or "35.03.11.1002 + 35.03.11.2001"
        lines.append(f"  {username:<12} {role.label:<40} {where}")
    lines.append("")
    return "\n".join(lines)
