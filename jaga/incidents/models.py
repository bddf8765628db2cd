from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import STAFF_ROLES, ScopedQuerySet
from jaga.accounts.models import Role
from jaga.core.protected import protected_storage

# Who may import incident history (also the scope of import jobs).
IMPORT_JOB_ROLES = frozenset({Role.SATBINMAS, Role.ADMIN})


class CategoryGroup(models.TextChoices):
    """Polri's groups of kamtibmas disturbances (crime groups of the disturbance reporting system)."""

    KONVENSIONAL = "konvensional", _("Conventional crime")
    TRANSNASIONAL = "transnasional", _("Transnational crime")
    KEKAYAAN_NEGARA = "kekayaan_negara", _("Crime against state assets")
    KONTINJENSI = "kontinjensi", _("Contingency (disturbances with wider implications)")


class Category(models.Model):
    """A node of the incident category tree: a Polri group at the top, local types below.

    Codes are short, stable and lower-case (`knalpot_brong`, `balap_liar`, `miras`): imports, the
    API and the desk's services refer to them.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    group = models.CharField(_("group"), max_length=20, choices=CategoryGroup.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "id").startswith("en") else self.name_id


class Source(models.TextChoices):
    DESK = "desk", _("Service desk report")
    FIELD = "field", _("Field work")
    OPERATION = "operation", _("Operation (razia)")
    IMPORT = "import", _("Import of history")


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class Incident(models.Model):
    """One kamtibmas disturbance, counted once whatever the number of records that show it.

    A desk report and the raid that confirmed it point at the same incident: the second source is
    linked (`IncidentLink`) instead of creating a second row.
    """

    scope_field = "village__code"
    scope_roles = STAFF_ROLES
    scope_key = "regency_code"  # the distribution key: scoped reads name it (docs/scaling.md)

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="incidents"
    )
    # No single-column indexes on village and regency: the composite indexes below start with
    # them, and every index slows the import of history.
    village = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="incidents",
        db_index=False,
    )
    regency_code = models.CharField(max_length=5)
    district_code = models.CharField(max_length=8, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_ref = models.CharField(
        _("source reference"),
        max_length=100,
        help_text=_("The id of the record this incident came from, in its source system."),
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="incident_source_ref")
        ]
        indexes = [
            models.Index(fields=["regency_code", "occurred_at"]),
            models.Index(fields=["village", "category", "occurred_at"]),
            # The incidents with a map point, for the hot spots (`analytics.hotspots`): without
            # it a province's or the country's weeks of incidents are walked by date to find the
            # few (or none) that carry a point.
            models.Index(
                fields=["regency_code", "occurred_at"],
                name="incident_point_by_regency",
                condition=models.Q(latitude__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} · {self.village.code} · {self.occurred_at:%Y-%m-%d}"


class IncidentLink(models.Model):
    """Another record that shows the same incident (e.g. the raid that confirmed a desk report)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="links"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_ref = models.CharField(_("source reference"), max_length=100)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incident link")
        verbose_name_plural = _("incident links")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref"], name="incident_link_source_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_ref} → {self.incident_id}"


class ImportRun(models.Model):
    """One successful import of incident history (a refused file leaves no trace but its errors)."""

    file_name = models.CharField(_("file"), max_length=255)
    lines = models.PositiveIntegerField(_("rows read"))
    created = models.PositiveIntegerField(_("incidents added"))
    unchanged = models.PositiveIntegerField(_("rows already imported"))
    updated = models.PositiveIntegerField(_("incidents updated"), default=0)
    linked = models.PositiveIntegerField(_("rows linked to an existing incident"), default=0)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("incident import")
        verbose_name_plural = _("incident imports")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} · {self.started_at:%Y-%m-%d %H:%M}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One import of incident history from the web page or the API, run as a background task.

    The uploaded file stays in protected storage (also when the import fails: nothing the user
    sent is lost). While the task runs, its progress lives in a small file next to the upload
    (`jaga.incidents.jobs`), never in this row: the import is one transaction and a write to the
    database from inside it would only be seen at its end.
    """

    scope_field = "territory__code"
    scope_roles = IMPORT_JOB_ROLES
    scope_owner = "actor"

    code = models.CharField(_("code"), max_length=16, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("unit's territory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(
        _("file"), upload_to="incident-imports/%Y/%m/", storage=protected_storage, max_length=255
    )
    file_name = models.CharField(_("file name"), max_length=255)
    update = models.BooleanField(_("update changed rows"), default=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    lines = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("incidents added"), default=0)
    updated = models.PositiveIntegerField(_("incidents updated"), default=0)
    linked = models.PositiveIntegerField(_("rows linked to an existing incident"), default=0)
    unchanged = models.PositiveIntegerField(_("rows already imported"), default=0)
    message = models.TextField(_("message"), blank=True)
    errors = models.JSONField(_("rows with errors"), default=list, blank=True)
    errors_more = models.PositiveIntegerField(_("further errors not listed"), default=0)
    # What the file changes (`ImportResult.changes` / `.links`, the first of each), shown on the
    # job's page and in the API as the command line prints them: above all for a dry run.
    changes = models.JSONField(_("changed incidents"), default=list, blank=True)
    links = models.JSONField(_("rows joining a recorded incident"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=5, default="id")
    run = models.ForeignKey(
        ImportRun,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident import job")
        verbose_name_plural = _("incident import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)
