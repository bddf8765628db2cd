"""Programmes, their village adoptions, activities, invitations and attendance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import PARTNERSHIP_ROLES, ScopedQuerySet
from jaga.core.protected import protected_storage


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
    lead_unit = models.CharField(
        _("lead unit"), max_length=120, blank=True, help_text=_("e.g. Satbinmas Polres")
    )
    partners = models.ManyToManyField(
        "partners.Organisation",
        verbose_name=_("partner organisations"),
        blank=True,
        related_name="programmes",
    )
    indicators = models.TextField(
        _("indicators"), blank=True, help_text=_("One indicator per line.")
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def indicator_list(self) -> list[str]:
        return [line.strip() for line in self.indicators.splitlines() if line.strip()]


class ProgrammeAdoption(models.Model):
    """A village adopted a programme on a date: the date drives the programme evaluation."""

    scope_field = "village__code"
    scope_roles = PARTNERSHIP_ROLES

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

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme adoption")
        verbose_name_plural = _("programme adoptions")
        ordering = ["programme", "adopted_on"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "village"], name="adoption_once")
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} · {self.village.code} · {self.adopted_on}"


class ActivityKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    COUNSELLING = "counselling", _("Counselling")
    PATROL = "patrol", _("Patrol")
    RAID = "raid", _("Raid (razia)")
    SPORT = "sport", _("Sport")
    VACCINATION = "vaccination", _("Vaccination")
    PARADE = "parade", _("Parade")
    COMPETITION = "competition", _("Competition")
    DECLARATION = "declaration", _("Declaration")
    SOCIAL_AID = "social_aid", _("Social aid")
    TRAINING = "training", _("Training")
    CEREMONY = "ceremony", _("Ceremony")
    OTHER = "other", _("Other")


# The QR check-in window: it opens this long before the start and closes this long after the end
# (the start when no end is given); each activity can set its own (at most CHECKIN_MAX_MINUTES).
CHECKIN_OPENS_DEFAULT = 120
CHECKIN_CLOSES_DEFAULT = 240
CHECKIN_MAX_MINUTES = 7 * 24 * 60


class Activity(models.Model):
    """Something done under a programme: held in one village, serving an area (its scope for
    invitations), possibly covering several villages."""

    scope_field = "village__code"
    scope_roles = PARTNERSHIP_ROLES

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("start"), db_index=True)
    ends_at = models.DateTimeField(_("end"), null=True, blank=True)
    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("held in (village)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("area served"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Invitees must live in this area (a village, district or the regency)."),
    )
    villages = models.ManyToManyField(
        "territory.Territory", verbose_name=_("villages covered"), related_name="+", blank=True
    )
    regency_code = models.CharField(max_length=5, db_index=True, editable=False)
    district_code = models.CharField(max_length=8, db_index=True, editable=False)
    place = models.CharField(_("place"), max_length=200, blank=True)
    organisers = models.ManyToManyField(
        "partners.Organisation", verbose_name=_("organisers"), related_name="organised", blank=True
    )
    partners = models.ManyToManyField(
        "partners.Organisation",
        verbose_name=_("partners"),
        related_name="partnered",
        blank=True,
    )
    organiser_unit = models.CharField(_("police unit organising"), max_length=120, blank=True)
    head_count = models.PositiveIntegerField(
        _("head count"), null=True, blank=True, help_text=_("For mass events: people present.")
    )
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace period (minutes)"),
        default=15,
        help_text=_("Check-in later than the start plus this is recorded as late."),
    )
    checkin_opens_minutes = models.PositiveIntegerField(
        _("check-in opens (minutes before the start)"),
        default=CHECKIN_OPENS_DEFAULT,
        help_text=_("QR check-in is refused before this."),
    )
    checkin_closes_minutes = models.PositiveIntegerField(
        _("check-in closes (minutes after the end)"),
        default=CHECKIN_CLOSES_DEFAULT,
        help_text=_("After this, attendance is recorded by hand from the paper list."),
    )
    outcome = models.TextField(_("outcome notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["regency_code", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"


class ActivityFile(models.Model):
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("file"), upload_to="activities/%Y/%m/", storage=protected_storage)
    is_photo = models.BooleanField(_("photo"), default=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("photo or document")
        verbose_name_plural = _("photos and documents")

    def __str__(self) -> str:
        return str(self.caption or self.file.name)


class Response(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ACCEPTED = "accepted", _("Will come")
    DECLINED = "declined", _("Cannot come")


class AttendanceStatus(models.TextChoices):
    PENDING = "pending", _("Not recorded")
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    REPRESENTED = "represented", _("Represented")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class Invitation(models.Model):
    """An invitation to a person or an organisation, and how they attended.

    Attendance lives on the invitation (one invitee, one attendance): every participation figure
    is then a conditional count over one table, with no join.
    """

    scope_field = "activity__village__code"
    scope_roles = PARTNERSHIP_ROLES

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="invitations"
    )
    person = models.ForeignKey(
        "partners.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    code = models.CharField(_("check-in code"), max_length=16, unique=True)
    sent_at = models.DateTimeField(_("sent"))
    response = models.CharField(
        _("response"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    status = models.CharField(
        _("attendance"),
        max_length=12,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.PENDING,
        db_index=True,
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    representative_name = models.CharField(_("represented by"), max_length=150, blank=True)
    representative = models.ForeignKey(
        "partners.Person",
        verbose_name=_("representative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["activity", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=True) ^ models.Q(organisation__isnull=True),
                name="invitation_one_invitee",
            ),
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=models.Q(person__isnull=False),
                name="invitation_person_once",
            ),
            models.UniqueConstraint(
                fields=["activity", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="invitation_organisation_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitee_name} → {self.activity}"

    @property
    def invitee_name(self) -> str:
        return str(self.person or self.organisation)
