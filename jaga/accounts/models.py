from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PUBLIC = "public", _("Public")
    PARTNER = "partner", _("Partner coordinator")
    BHABIN = "bhabin", _("Bhabinkamtibmas")
    POLSEK = "polsek", _("Polsek (Kapolsek, Kanit Binmas)")
    SATBINMAS = "satbinmas", _("Satbinmas (Kasat Binmas, KBO, staff)")
    LEADER = "leader", _("Leader (Kapolres, Wakapolres)")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    nrp = models.CharField(
        _("NRP"), max_length=20, blank=True, help_text=_("Police registration number.")
    )
    rank = models.CharField(_("rank"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)
    # The language the user chose with the switch; applied again at every login. Blank: none
    # chosen yet (the site's default, Indonesian, or the browser's cookie from before login).
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=settings.LANGUAGES, default=""
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        if self.rank and self.full_name:
            return f"{self.rank} {self.full_name}"
        return self.full_name or self.username


class PostingQuerySet(models.QuerySet["Posting"]):
    def active(self, on: datetime.date | None = None) -> PostingQuerySet:
        on = on or timezone.localdate()
        return self.filter(
            models.Q(valid_from__lte=on),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on),
        )


class Posting(models.Model):
    """A user's role over a territory for a period: what they are responsible for and may see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="postings",
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    unit = models.ForeignKey(
        "territory.PoliceUnit",
        verbose_name=_("police unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="postings",
    )
    organisation_id = models.BigIntegerField(
        _("organisation"),
        null=True,
        blank=True,
        help_text=_("For partner coordinators: the organisation they coordinate."),
    )
    valid_from = models.DateField(_("valid from"), default=datetime.date(2000, 1, 1))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["user", "role", "territory__code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="posting_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.territory.code}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token: the user creates and revokes it; only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
