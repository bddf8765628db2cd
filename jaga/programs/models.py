from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """A partnership programme (Kampung Tangguh Semeru, FKPM, TBKB, ...), known by a short code."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Short and stable, used by imports and the API, e.g. KTS, TBKB."),
    )
    name = models.CharField(_("name"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    started_on = models.DateField(_("start"), null=True, blank=True)
    ended_on = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class ProgrammeAdoption(models.Model):
    """A village adopted a programme on a date: the date drives the programme evaluation."""

    scope_field = "village__code"

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="adoptions"
    )
    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="programme_adoptions",
    )
    adopted_on = models.DateField(_("adopted on"))

    class Meta:
        verbose_name = _("programme adoption")
        verbose_name_plural = _("programme adoptions")
        ordering = ["programme", "adopted_on"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "village"], name="adoption_once")
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} · {self.village.code} · {self.adopted_on}"
