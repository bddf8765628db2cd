"""Residents' voice: the IKM satisfaction survey (PermenPANRB 14/2017) and the trust survey.

Scores are stored one column per element so that the averages (NRR) are one aggregate query.
The weights and the grade bands of the regulation are data an administrator can edit
(`IkmElement.weight`, `IkmBand`), seeded with the regulation's values.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import STAFF_ROLES, ScopedQuerySet

IKM_ELEMENTS = [f"u{i}" for i in range(1, 10)]
IKM_MIN, IKM_MAX = 1, 4
LIKERT_MIN, LIKERT_MAX = 1, 5


class Channel(models.TextChoices):
    PORTAL = "portal", _("Public portal")
    PAPER = "paper", _("Paper form entered by staff")
    INVITATION = "invitation", _("Invitation after a closed desk report")
    IMPORT = "import", _("File import")


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class AgeGroup(models.TextChoices):
    UNDER_20 = "lt20", _("Under 20")
    A20_29 = "20-29", _("20–29")
    A30_39 = "30-39", _("30–39")
    A40_49 = "40-49", _("40–49")
    A50_PLUS = "50+", _("50 and over")


class Education(models.TextChoices):
    SD = "sd", _("Primary school (SD) or less")
    SMP = "smp", _("Junior high school (SMP)")
    SMA = "sma", _("Senior high school (SMA/SMK)")
    DIPLOMA = "diploma", _("Diploma (D1–D3)")
    S1 = "s1", _("Bachelor (S1)")
    S2 = "s2", _("Postgraduate (S2/S3)")


class Occupation(models.TextChoices):
    CIVIL_SERVANT = "pns", _("Civil servant / TNI / Polri")
    PRIVATE = "private", _("Private employee")
    SELF_EMPLOYED = "self", _("Self-employed / trader")
    FARMER = "farmer", _("Farmer / fisher")
    STUDENT = "student", _("Student")
    OTHER = "other", _("Other")


class IkmElement(models.Model):
    """One of the nine elements (unsur) of PermenPANRB 14/2017 and its weight (1/9 by default)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=6,
        help_text=_("The weights of the nine elements must add up to 1."),
    )

    class Meta:
        verbose_name = _("IKM element")
        verbose_name_plural = _("IKM elements")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"U{self.number} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "id").startswith("en") else self.name_id


class IkmBand(models.Model):
    """A grade of the converted IKM (25–100): A 88.31–100, B 76.61–88.30, C 65.00–76.60, D 25–64.99."""

    grade = models.CharField(_("grade"), max_length=1, unique=True)
    lower = models.DecimalField(_("lowest converted value"), max_digits=5, decimal_places=2)
    upper = models.DecimalField(_("highest converted value"), max_digits=5, decimal_places=2)
    label_id = models.CharField(_("label (Indonesian)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=60)

    class Meta:
        verbose_name = _("IKM grade")
        verbose_name_plural = _("IKM grades")
        ordering = ["-lower"]

    def __str__(self) -> str:
        return f"{self.grade} {self.lower}–{self.upper}"

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "id").startswith("en") else self.label_id


def _score(name: Any, low: int, high: int, *, null: bool = False) -> Any:
    return models.PositiveSmallIntegerField(
        name,
        null=null,
        blank=null,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
    )


class IkmResponse(models.Model):
    """One filled IKM questionnaire: nine scores 1–4 and the optional respondent profile."""

    scope_field = "village__code"
    scope_roles = STAFF_ROLES

    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="ikm_responses",
    )
    regency_code = models.CharField(max_length=5, db_index=True)
    district_code = models.CharField(max_length=8, db_index=True)
    unit = models.ForeignKey(
        "territory.PoliceUnit",
        verbose_name=_("service unit"),
        on_delete=models.PROTECT,
        related_name="ikm_responses",
    )
    service = models.CharField(
        _("service"), max_length=60, blank=True, help_text=_("e.g. SPKT, SKCK, desk report.")
    )
    answered_on = models.DateField(_("answered on"), db_index=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    u1 = _score(_("requirements"), IKM_MIN, IKM_MAX)
    u2 = _score(_("system, mechanism and procedure"), IKM_MIN, IKM_MAX)
    u3 = _score(_("completion time"), IKM_MIN, IKM_MAX)
    u4 = _score(_("cost / fee"), IKM_MIN, IKM_MAX)
    u5 = _score(_("service product specification"), IKM_MIN, IKM_MAX)
    u6 = _score(_("staff competence"), IKM_MIN, IKM_MAX)
    u7 = _score(_("staff behaviour"), IKM_MIN, IKM_MAX)
    u8 = _score(_("handling of complaints, suggestions and input"), IKM_MIN, IKM_MAX)
    u9 = _score(_("facilities and infrastructure"), IKM_MIN, IKM_MAX)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    age_group = models.CharField(_("age group"), max_length=6, choices=AgeGroup.choices, blank=True)
    education = models.CharField(
        _("education"), max_length=8, choices=Education.choices, blank=True
    )
    occupation = models.CharField(
        _("occupation"), max_length=8, choices=Occupation.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("IKM response")
        verbose_name_plural = _("IKM responses")
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{e}__gte": IKM_MIN, f"{e}__lte": IKM_MAX}),
                name=f"ikm_{e}_range",
            )
            for e in IKM_ELEMENTS
        ]
        indexes = [models.Index(fields=["regency_code", "answered_on"])]

    def __str__(self) -> str:
        return f"IKM {self.village_id} {self.answered_on}"


# The trust and sense-of-safety questionnaire (our own design; no national instrument exists).
# Likert questions: 1 = strongly disagree … 5 = strongly agree. Yes/no questions: 1 = yes, 0 = no.
TRUST_LIKERT = ["safe_home", "safe_night", "trust_police", "would_report"]
TRUST_YESNO = ["knows_bhabin", "was_visited"]
TRUST_QUESTIONS = TRUST_LIKERT + TRUST_YESNO


class TrustInvitation(models.Model):
    """One invitation per closed desk report: a secret link the reporter answers once."""

    scope_field = "village__code"
    scope_roles = STAFF_ROLES

    ticket = models.CharField(_("ticket"), max_length=40, unique=True)
    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.CharField(max_length=64, unique=True)
    sent_via = models.CharField(_("sent via"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("trust survey invitation")
        verbose_name_plural = _("trust survey invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket} → {self.village_id}"


class TrustResponse(models.Model):
    """One answered trust / sense-of-safety questionnaire."""

    scope_field = "village__code"
    scope_roles = STAFF_ROLES

    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="trust_responses",
    )
    regency_code = models.CharField(max_length=5, db_index=True)
    district_code = models.CharField(max_length=8, db_index=True)
    answered_on = models.DateField(_("answered on"), db_index=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    invitation = models.OneToOneField(
        TrustInvitation,
        verbose_name=_("invitation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="response",
    )
    safe_home = _score(_("I feel safe in my home"), LIKERT_MIN, LIKERT_MAX)
    safe_night = _score(_("I feel safe walking in my village at night"), LIKERT_MIN, LIKERT_MAX)
    trust_police = _score(_("I trust the police"), LIKERT_MIN, LIKERT_MAX)
    would_report = _score(
        _("I would report a security problem to the police"), LIKERT_MIN, LIKERT_MAX
    )
    knows_bhabin = models.BooleanField(_("I know my village's Bhabinkamtibmas"))
    was_visited = models.BooleanField(
        _("A Bhabinkamtibmas has visited my home in the last 12 months")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("trust survey response")
        verbose_name_plural = _("trust survey responses")
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{q}__gte": LIKERT_MIN, f"{q}__lte": LIKERT_MAX}),
                name=f"trust_{q}_range",
            )
            for q in TRUST_LIKERT
        ]
        indexes = [models.Index(fields=["regency_code", "answered_on"])]

    def __str__(self) -> str:
        return f"Trust {self.village_id} {self.answered_on}"
