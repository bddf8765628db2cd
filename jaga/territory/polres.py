"""Setting up a Polres from the loaded territory, and the levels above it.

`create_polres(regency_code)` makes sure that the regency has its Polres with a Polsek for every
district, that the province has its Polda and the country its national unit (Baharkam Polri /
Korbinmas), and that the shared norms, the service catalogue and the standard programme catalogue
exist. It only adds what is missing: names and areas an admin edited afterwards stay as they are,
and a second run changes nothing.

Scope follows the postings (`jaga.accounts.access`): a Polda's leaders are posted to the province
and see every regency in it; the national unit's are posted to the country row (`Level.COUNTRY`,
code `ID`) and see everything.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.types import Actor
from jaga.territory.models import (
    COUNTRY_CODE,
    Level,
    NormSetting,
    PoliceUnit,
    PoliceUnitKind,
    Territory,
)

NATIONAL_CODE = "korbinmas"
NATIONAL_NAME = "Korbinmas Baharkam Polri"
COUNTRY_NAME = "Indonesia"

# key, value, label, reference, commonly cited only
STANDARD_NORMS: list[tuple[str, Decimal, str, str, bool]] = [
    (
        "bhabin_per_village",
        Decimal(1),
        "Bhabinkamtibmas per desa/kelurahan",
        "Perkap 7/2021 (norma 1 desa 1 Bhabinkamtibmas)",
        False,
    ),
    (
        "ideal_residents_per_officer",
        Decimal(400),
        "Penduduk per polisi yang sering dikutip (1:400)",
        "Sering disebut 'standar PBB'; bukan rekomendasi PBB yang sebenarnya",
        True,
    ),
    (
        "polri_residents_per_officer",
        Decimal(606),
        "Rasio nasional Polri (1:606)",
        "As SDM Kapolri, 30 Des 2025",
        False,
    ),
]

# The programmes every Polres runs under national Binmas policy: code, name, goal.
STANDARD_PROGRAMMES: list[tuple[str, str, str]] = [
    (
        "POLMAS",
        "Perpolisian Masyarakat (Polmas)",
        "Kemitraan polisi dan warga untuk mengenali dan memecahkan masalah kamtibmas bersama "
        "(Perpol 1/2021).",
    ),
    (
        "FKPM",
        "Forum Kemitraan Polisi dan Masyarakat",
        "Forum warga, Bhabinkamtibmas dan pemerintah desa untuk memecahkan masalah kamtibmas "
        "bersama.",
    ),
    (
        "SAMBANG",
        "Sambang dan kunjungan rumah (DDS)",
        "Bhabinkamtibmas mengunjungi warga dari rumah ke rumah untuk mendengar keluhan.",
    ),
    (
        "JUMAT_CURHAT",
        "Jumat Curhat",
        "Pertemuan rutin pimpinan Polri dengan warga untuk menampung keluhan dan masukan.",
    ),
    (
        "POKDAR",
        "Kelompok Sadar Kamtibmas (Pokdar Kamtibmas)",
        "Warga yang sadar kamtibmas membantu menjaga keamanan lingkungannya.",
    ),
    (
        "SISKAMLING",
        "Sistem Keamanan Lingkungan (Siskamling)",
        "Ronda dan pos kamling warga, dibina Bhabinkamtibmas.",
    ),
    (
        "BINLUH",
        "Pembinaan dan Penyuluhan Kamtibmas",
        "Penyuluhan kamtibmas di sekolah, tempat ibadah dan balai desa.",
    ),
]


@dataclass
class PolresResult:
    polres: PoliceUnit
    polda: PoliceUnit
    national: PoliceUnit
    polsek_by_district: dict[str, PoliceUnit]
    created: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values())


def unit_code(prefix: str, territory_code: str) -> str:
    """`polsek-35-03-11`: stable, derived from the Kemendagri code, so a re-run finds the unit."""
    return f"{prefix}-{territory_code.replace('.', '-')}"


def polres_name(regency: Territory) -> str:
    """ "Kabupaten Malang" -> "Polres Malang", "Kota Malang" -> "Polres Kota Malang"."""
    name = regency.name
    if name.lower().startswith("kabupaten "):
        name = name[len("kabupaten ") :]
    return f"Polres {name}"


def _bump(created: dict[str, int], key: str) -> None:
    created[key] = created.get(key, 0) + 1


def _unit(
    *,
    code: str,
    kind: str,
    name: str,
    parent: PoliceUnit | None,
    territory: Territory,
    actor: Actor,
    created: dict[str, int],
) -> PoliceUnit:
    """The unit with this code; created (with its area) only when missing, never updated."""
    unit = PoliceUnit.objects.select_for_update().filter(code=code).first()
    if unit is not None:
        return unit
    unit = PoliceUnit.objects.create(code=code, kind=kind, name=name, parent=parent)
    unit.territories.add(territory)
    log_action(
        "territory.unit_created",
        unit,
        actor=actor,
        after={**snapshot(unit), "territories": [territory.code]},
        territory_code=territory.code if territory.level != Level.COUNTRY else "",
    )
    _bump(created, kind)
    return unit


def ensure_country(*, actor: Actor = None) -> Territory:
    """The one country row that national postings name (created when first needed)."""
    country = Territory.objects.filter(code=COUNTRY_CODE).first()
    if country is None:
        country = Territory.objects.create(
            code=COUNTRY_CODE,
            name=COUNTRY_NAME,
            level=Level.COUNTRY,
            province_code="",
        )
        log_action("territory.country_created", country, actor=actor, after=snapshot(country))
    return country


def ensure_national_unit(
    *, actor: Actor = None, created: dict[str, int] | None = None
) -> PoliceUnit:
    country = ensure_country(actor=actor)
    return _unit(
        code=NATIONAL_CODE,
        kind=PoliceUnitKind.NATIONAL,
        name=NATIONAL_NAME,
        parent=None,
        territory=country,
        actor=actor,
        created={} if created is None else created,
    )


def ensure_norms(*, actor: Actor, created: dict[str, int]) -> None:
    existing = set(NormSetting.objects.values_list("key", flat=True))
    for key, value, label, reference, commonly_cited in STANDARD_NORMS:
        if key in existing:
            continue
        norm = NormSetting.objects.create(
            key=key,
            value=value,
            label=label,
            reference=reference,
            commonly_cited=commonly_cited,
        )
        log_action("territory.norm_created", norm, actor=actor, after=snapshot(norm))
        _bump(created, "norm")


def ensure_service_catalogue(*, actor: Actor, created: dict[str, int]) -> None:
    """The desk's standard services (the list the first migration seeds), where one is missing."""
    from jaga.incidents.models import Category
    from jaga.servicedesk.models import Service, ServiceQuestion

    seed = importlib.import_module("jaga.servicedesk.migrations.0002_seed_services")
    existing = set(Service.objects.values_list("code", flat=True))
    categories = {c.code: c for c in Category.objects.all()}
    added: dict[str, Service] = {}
    for order, row in enumerate(seed.SERVICES, start=1):
        code, group, sla, category, sensitive, name_id, name_en, desc_id, desc_en = row
        if code in existing:
            continue
        service = Service.objects.create(
            code=code,
            group=group,
            sla_hours=sla,
            category=categories.get(category) if category else None,
            sensitive=sensitive,
            name_id=name_id,
            name_en=name_en,
            description_id=desc_id,
            description_en=desc_en,
            sort_order=order * 10,
        )
        added[code] = service
        log_action("servicedesk.service_created", service, actor=actor, after=snapshot(service))
        _bump(created, "service")
    orders: dict[str, int] = {}
    for service_code, code, datatype, required, prompt_id, prompt_en, values in seed.QUESTIONS:
        orders[service_code] = orders.get(service_code, 0) + 1
        if service_code not in added:
            continue
        ServiceQuestion.objects.create(
            service=added[service_code],
            code=code,
            datatype=datatype,
            required=required,
            prompt_id=prompt_id,
            prompt_en=prompt_en,
            values=values,
            order=orders[service_code],
        )


def ensure_programme_catalogue(*, actor: Actor, created: dict[str, int]) -> None:
    from jaga.programs.models import Programme
    from jaga.programs.services import create_programme

    existing = set(Programme.objects.values_list("code", flat=True))
    for code, name, goal in STANDARD_PROGRAMMES:
        if code in existing:
            continue
        create_programme(actor=actor, code=code, name=name, goal=goal, lead_unit="Satbinmas")
        _bump(created, "programme")


def create_polres(regency_code: str, *, actor: Actor = None) -> PolresResult:
    """Set up the Polres of a loaded regency and everything it needs; idempotent.

    Raises DomainError when the code is not a loaded regency (load it first with
    `jaga territory load --regency CODE`).
    """
    regency = Territory.objects.filter(code=regency_code.strip(), level=Level.REGENCY).first()
    if regency is None:
        raise DomainError(
            "unknown_regency",
            _(
                "No regency with code %(code)s is loaded. Load it first: "
                "jaga territory load --regency %(code)s"
            )
            % {"code": regency_code},
        )
    province = Territory.objects.get(code=regency.province_code, level=Level.PROVINCE)
    districts = list(
        Territory.objects.filter(level=Level.DISTRICT, parent=regency).order_by("code")
    )
    created: dict[str, int] = {}
    with transaction.atomic():
        national = ensure_national_unit(actor=actor, created=created)
        polda = _unit(
            code=unit_code("polda", province.code),
            kind=PoliceUnitKind.POLDA,
            name=f"Polda {province.name}",
            parent=national,
            territory=province,
            actor=actor,
            created=created,
        )
        polres = _unit(
            code=unit_code("polres", regency.code),
            kind=PoliceUnitKind.POLRES,
            name=polres_name(regency),
            parent=polda,
            territory=regency,
            actor=actor,
            created=created,
        )
        polsek_by_district = {
            district.code: _unit(
                code=unit_code("polsek", district.code),
                kind=PoliceUnitKind.POLSEK,
                name=f"Polsek {district.name}",
                parent=polres,
                territory=district,
                actor=actor,
                created=created,
            )
            for district in districts
        }
        ensure_norms(actor=actor, created=created)
        ensure_service_catalogue(actor=actor, created=created)
        ensure_programme_catalogue(actor=actor, created=created)
    return PolresResult(
        polres=polres,
        polda=polda,
        national=national,
        polsek_by_district=polsek_by_district,
        created=created,
    )
