from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    # One row only: the national unit's postings name it, and it opens every territory.
    COUNTRY = "country", _("Country")
    PROVINCE = "province", _("Province")
    REGENCY = "regency", _("Regency / city")
    DISTRICT = "district", _("District (kecamatan)")
    VILLAGE = "village", _("Village (desa / kelurahan)")


class VillageKind(models.TextChoices):
    KELURAHAN = "kelurahan", _("Kelurahan")
    DESA = "desa", _("Desa")
    DESA_ADAT = "desa_adat", _("Desa adat")


class PolmasStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SELF_MANAGED = "self_managed", _("Self-managed by the community")
    INACTIVE = "inactive", _("Inactive")


COUNTRY_CODE = "ID"


def village_kind_of_code(code: str) -> str:
    """The Kemendagri village part starts with 1 (kelurahan), 2 (desa) or 3 (desa adat)."""
    first = code.split(".")[3][0]
    return {"1": VillageKind.KELURAHAN, "2": VillageKind.DESA, "3": VillageKind.DESA_ADAT}[first]


class TerritoryQuerySet(models.QuerySet["Territory"]):
    def current(self, on: datetime.date | None = None) -> TerritoryQuerySet:
        on = on or datetime.date.today()  # noqa: DTZ011
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=on),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=on),
        )

    def villages(self) -> TerritoryQuerySet:
        return self.filter(level=Level.VILLAGE)

    def within(self, code: str) -> TerritoryQuerySet:
        """Everything below (and including) the territory with this code."""
        return self.filter(models.Q(code=code) | models.Q(code__startswith=code + "."))


class Territory(models.Model):
    """One node of the Kemendagri hierarchy: province, regency, district or village.

    One table for every level: scoping and roll-ups are prefix matches on the hierarchical code
    (`35.72.01.1002` lies inside `35.72.01`, `35.72` and `35`), and the ancestors' codes are kept
    as columns so that any level is one GROUP BY.
    """

    code = models.CharField(_("Kemendagri code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    province_code = models.CharField(max_length=2, db_index=True)
    regency_code = models.CharField(max_length=5, blank=True, db_index=True)
    district_code = models.CharField(max_length=8, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=VillageKind.choices, blank=True)
    polmas_status = models.CharField(
        _("Polmas status"),
        max_length=12,
        choices=PolmasStatus.choices,
        default=PolmasStatus.ACTIVE,
    )
    polmas_note = models.TextField(_("Polmas note"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # Pemekaran: a village that split or merged keeps its history; its successor takes over.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def display_name(self) -> str:
        if self.level == Level.VILLAGE:
            return f"{self.get_kind_display()} {self.name}"
        if self.level == Level.DISTRICT:
            return f"Kecamatan {self.name}"
        return self.name

    def ancestor_codes(self) -> list[str]:
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))]

    def ancestors(self) -> list[Territory]:
        codes = self.ancestor_codes()
        by_code = {t.code: t for t in Territory.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def is_within(self, code: str) -> bool:
        return self.code == code or self.code.startswith(code + ".")

    def current_successor(self) -> Territory:
        """Follow successor links to the territory that carries this one's history today."""
        node: Territory = self
        seen: set[int] = set()
        while node.successor_id is not None and node.pk not in seen:
            seen.add(node.pk)
            node = node.successor  # type: ignore[assignment]
        return node

    @staticmethod
    def denormalised_codes(code: str) -> dict[str, Any]:
        parts = code.split(".")
        return {
            "province_code": parts[0],
            "regency_code": ".".join(parts[:2]) if len(parts) >= 2 else "",
            "district_code": ".".join(parts[:3]) if len(parts) >= 3 else "",
        }


class Population(models.Model):
    village = models.ForeignKey(
        Territory, verbose_name=_("village"), on_delete=models.CASCADE, related_name="populations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    count = models.PositiveIntegerField(_("population"))
    source = models.CharField(_("source"), max_length=200)
    synthetic = models.BooleanField(
        _("synthetic"), default=False, help_text=_("Generated for the demo, not a real figure.")
    )

    class Meta:
        verbose_name = _("population")
        verbose_name_plural = _("populations")
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="population_village_year")
        ]
        ordering = ["village__code", "-year"]

    def __str__(self) -> str:
        return f"{self.village.code} {self.year}: {self.count}"


class PoliceUnitKind(models.TextChoices):
    NATIONAL = "national", _("National (Baharkam Polri / Korbinmas)")
    POLDA = "polda", _("Polda")
    POLRES = "polres", _("Polres")
    POLSEK = "polsek", _("Polsek")


class PoliceUnit(models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=PoliceUnitKind.choices)
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    territories = models.ManyToManyField(
        Territory, verbose_name=_("area"), related_name="police_units"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("police unit")
        verbose_name_plural = _("police units")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class NormSetting(models.Model):
    """A threshold or norm that regulations or policy set: data an admin edits, not a constant.

    E.g. `bhabin_per_village` = 1 (Perkap 7/2021), `ideal_residents_per_officer` = 400
    (commonly cited, not an actual UN standard).
    """

    key = models.SlugField(_("key"), max_length=60, unique=True)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    label = models.CharField(_("label"), max_length=200)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    commonly_cited = models.BooleanField(
        _("commonly cited only"),
        default=False,
        help_text=_("A figure people quote that no regulation actually sets."),
    )

    class Meta:
        verbose_name = _("norm")
        verbose_name_plural = _("norms")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


class ChangeKind(models.TextChoices):
    SPLIT = "split", _("Split")
    MERGE = "merge", _("Merge")


class TerritoryChange(models.Model):
    """A pemekaran: one village split into several, or several merged into one, on a date.

    The villages keep their own codes and records; the change links every predecessor to every
    successor, so history can be followed either way. Reloading the territory never touches it.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=ChangeKind.choices)
    on = models.DateField(_("date"))
    predecessors = models.ManyToManyField(
        Territory, verbose_name=_("before"), related_name="changes_out"
    )
    successors = models.ManyToManyField(
        Territory, verbose_name=_("after"), related_name="changes_in"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("territory change")
        verbose_name_plural = _("territory changes")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"
