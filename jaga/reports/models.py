from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import STAFF_ROLES, ScopedQuerySet


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


# The one table of allowed moves of a report job.
JOB_TRANSITIONS: dict[str, set[str]] = {
    JobStatus.QUEUED: {JobStatus.RUNNING, JobStatus.FAILED},
    JobStatus.RUNNING: {JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED},
    JobStatus.DONE: set(),
    JobStatus.FAILED: set(),
}


class ReportJob(models.Model):
    """One Anev report written in the background: its progress, then its HTML and PDF."""

    scope_field = "territory__code"
    scope_roles = STAFF_ROLES

    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=20, default="anev")
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    month = models.DateField(_("month"))
    language = models.CharField(_("language"), max_length=5, default="id")
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    html = models.TextField(blank=True)
    pdf = models.BinaryField(blank=True, null=True)
    pages = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Send it to the territory's leaders once written (the scheduler's monthly Anev), and when
    # that was done: a delivery asked twice sends nothing the second time.
    deliver = models.BooleanField(_("send to the leaders"), default=False)
    delivered_at = models.DateTimeField(_("sent to the leaders"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.territory_id} {self.month:%Y-%m} ({self.status})"

    @property
    def stage_label(self) -> str:
        labels = {
            "start": _("Starting"),
            "compstat": _("CompStat"),
            "trend": _("Trend"),
            "alarms": _("Early warning"),
            "desk": _("Service desk"),
            "fieldwork": _("Field work"),
            "partnership": _("Partnership"),
            "coverage": _("Coverage"),
            "surveys": _("Surveys"),
            "programmes": _("Programme evaluations"),
            "pdf": _("Writing the PDF"),
            "done": _("Done"),
        }
        return str(labels.get(self.stage, self.stage))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class PublicFigures(models.Model):
    """The published (already protected) figures of a regency for one closed month.

    Written by `jaga report publish` and the `publish_month` task; the portal, the open data and
    the public API read only these rows, never the roll-ups. No true small count is stored here:
    a withheld cell is the mark "x".
    """

    regency_code = models.CharField(_("regency code"), max_length=13)
    month = models.DateField(_("month"))
    payload = models.JSONField(_("published figures"))
    computed_at = models.DateTimeField(_("computed"), auto_now=True)
    seconds = models.FloatField(_("seconds to compute"), default=0)

    class Meta:
        verbose_name = _("public figures")
        verbose_name_plural = _("public figures")
        ordering = ["regency_code", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["regency_code", "month"], name="public_figures_once")
        ]

    def __str__(self) -> str:
        return f"{self.regency_code} {self.month:%Y-%m}"
