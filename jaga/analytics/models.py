from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaga.accounts.access import STAFF_ROLES, ScopedQuerySet


class MonthlyIncidentCount(models.Model):
    """Roll-up: incidents per village, month and category, kept in the writing transaction.

    The ancestors' codes are columns so any level (district, regency, province) is one GROUP BY;
    dashboards read this table, never the raw incidents.
    """

    # The primary key is the row's key (migration 0016): no numbering to write on every insert
    # or to build an index of when the rebuild builds the table anew (BENCHMARKS.md, *Rebuild,
    # fifteenth session*), and the writers address a row by what it counts.
    pk = models.CompositePrimaryKey("village_id", "month", "category_id")
    # No index of its own: the primary key (village, month, category) starts with it.
    village = models.ForeignKey(
        "territory.Territory", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Covered by the composite indexes below; single-column indexes would only slow the writes
    # (on PostgreSQL each CharField index comes with a second, pattern-ops one).
    province_code = models.CharField(max_length=2)
    regency_code = models.CharField(max_length=5)
    district_code = models.CharField(max_length=8)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    # No index of its own: every read by category names the place too (the code indexes, the
    # unique key serve it); only deleting a category would look its rows up by it, and
    # categories are retired (is_active), not deleted (migration 0012).
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("monthly incident count")
        verbose_name_plural = _("monthly incident counts")
        # The code compared byte by byte (varchar_pattern_ops, PostgreSQL; SQLite ignores it):
        # it serves the reads' `=`, `IN` and `LIKE 'prefix%'` (a province's regencies), none
        # of which ranges over or orders by a code, and sorts without the database collation's
        # calls (migration 0012). Name as Django gave it before.
        # No (district_code, month) index (migration 0015): every read of a district names its
        # regency too (`key_q`, the distribution key), so this one finds the regency's rows of
        # those months and the district's are filtered from them (5-9 ms for the largest
        # district nationally, against 4 ms through its own index), one index fewer to build
        # when the rebuild builds the table anew (5-8 s of it) and to update on every write.
        indexes = [
            models.Index(
                fields=["regency_code", "month"],
                name="analytics_m_regency_0ee7df_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m} {self.category_id}: {self.count}"


class AreaLevel(models.TextChoices):
    DISTRICT = "district", _("District (kecamatan)")
    REGENCY = "regency", _("Regency / city")


class AreaMonthlyCount(models.Model):
    """Roll-up of MonthlyIncidentCount one and two levels up: per district and per regency.

    At national density a village has a few incidents a month spread over many categories, so the
    village roll-up is nearly as long as the incident table; a Polres dashboard reads these rows
    instead (about 800 per regency for three years). Kept in the same transaction as the village
    row (`bump_incidents`) and rebuilt with it.
    """

    # The row's key, as MonthlyIncidentCount's (migration 0016); on PostgreSQL its index carries
    # the count (INCLUDE, migration 0014), so a dashboard's reads by area code and months are
    # index-only scans.
    pk = models.CompositePrimaryKey("area_code", "month", "category_id")
    level = models.CharField(_("level"), max_length=10, choices=AreaLevel.choices)
    area_code = models.CharField(_("area"), max_length=8)
    parent_code = models.CharField(_("parent area"), max_length=5)
    month = models.DateField(_("month"))
    # No index of its own, as MonthlyIncidentCount.category.
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("monthly incident count per area")
        verbose_name_plural = _("monthly incident counts per area")
        # On PostgreSQL area_count_children_by_area (migration 0006) starts with these columns
        # and serves their reads: this one is dropped there (migration 0012), kept on SQLite.
        indexes = [models.Index(fields=["level", "parent_code", "month"])]

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m} {self.category_id}: {self.count}"


class RegencyVersion(models.Model):
    """The version of a regency's incident roll-up: a new number each time a row of its district or
    regency roll-up (AreaMonthlyCount) is inserted, changed or deleted, or the table is emptied.

    Kept by database triggers on AreaMonthlyCount (migration 0008), so every writer moves it in
    its own transaction: `bump_incidents`, the bulk imports, the rebuild, a COPY. The numbers come
    from a sequence (PostgreSQL) or at random (SQLite) and never repeat: a figure cached under a
    regency's version (the coverage, the early-warning alarms) is read again only while none of
    its rows has moved. Reading one row per regency replaces summing the roll-up to tell whether
    anything moved.
    """

    regency_code = models.CharField(_("regency"), max_length=5, primary_key=True)
    version = models.BigIntegerField(_("version"))

    class Meta:
        # The table and its triggers are the migration's own (0008), and it is left out of
        # backups (`jaga.core.backup` copies managed tables): restoring the roll-up gives every
        # regency a new version by itself.
        managed = False
        verbose_name = _("regency roll-up version")
        verbose_name_plural = _("regency roll-up versions")

    def __str__(self) -> str:
        return f"{self.regency_code}: {self.version}"


class DataVersion(models.Model):
    """The version of a table the dashboards' cached figures read besides the roll-up: a new
    number each time a row of it is inserted, changed or deleted, or it is emptied (`population`,
    `territory`, `category`, `posting`, `norm`).

    Kept by database triggers (migration 0011) in the writer's transaction, from a sequence
    (PostgreSQL) or at random (SQLite), never repeated: a figure cached under the versions it
    read (`jaga.analytics.dashcache`) is found again only while none of them has moved.
    """

    name = models.CharField(_("name"), max_length=20, primary_key=True)
    version = models.BigIntegerField(_("version"))

    class Meta:
        # The table and its triggers are the migration's own (0011), left out of backups like
        # `RegencyVersion`: a restore writes the tables, which gives each a new version.
        managed = False
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return f"{self.name}: {self.version}"


class RegencySeries(models.Model):
    """One regency's village roll-up packed in one value for the early warning of a province or
    the country (`jaga.analytics.series`): derived data under the regency's roll-up version,
    built again when the version moves."""

    regency_code = models.CharField(_("regency"), max_length=5, primary_key=True)
    version = models.BigIntegerField(_("version"))
    first_month = models.DateField(_("first month"))
    months = models.PositiveIntegerField(_("months"))
    data = models.BinaryField(_("data"))

    class Meta:
        # The table is the migration's own (0010), left out of backups like the versions: a
        # restore gives every regency a new version, and the rows are built again.
        managed = False
        verbose_name = _("regency series")
        verbose_name_plural = _("regency series")

    def __str__(self) -> str:
        return f"{self.regency_code}: {self.version}"


class MonthlyMetric(models.Model):
    """Roll-up of every other monthly figure per village (DHIS2-style data values).

    `metric` names what is counted and `key` splits it (a service code, a programme code, ...):
    - requests.received / requests.resolved / requests.resolved_in_time   (key: service code)
    - activities.held (once, where held) / activities.count (once per village covered)
      / activities.head_count                                             (key: programme code)
    - attendance.invited / .responded / .attended / .on_time / .late / .represented / .absent
      / .excused                                                          (key: programme code)
    - visits.count                                                        (key: "")
    - surveys.<name>                                                      (key: question)
    Writers call `jaga.analytics.rollups.bump_metric` in their own transaction.
    """

    village = models.ForeignKey("territory.Territory", on_delete=models.PROTECT, related_name="+")
    # Covered by the composite indexes below; single-column indexes would only slow the writes
    # (on PostgreSQL each CharField index comes with a second, pattern-ops one).
    province_code = models.CharField(max_length=2)
    regency_code = models.CharField(max_length=5)
    district_code = models.CharField(max_length=8)
    month = models.DateField(_("month"))
    metric = models.CharField(_("metric"), max_length=60)
    key = models.CharField(_("key"), max_length=60, blank=True, default="")
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "month", "metric", "key"], name="monthly_metric_key"
            )
        ]
        indexes = [
            models.Index(fields=["regency_code", "metric", "month"]),
            models.Index(fields=["district_code", "metric", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m} {self.metric}[{self.key}]={self.value}"


class RaidPlan(models.Model):
    """The places proposed for the coming week's razia in a territory, from the hottest cells.

    Kept so that next week's proposal can rotate: a place proposed this week is not proposed the
    week after (raids move with the threat, as in the article).
    """

    scope_field = "territory__code"
    scope_roles = STAFF_ROLES

    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    week = models.DateField(_("week"), help_text=_("The Monday the week starts on."))
    places = models.JSONField(_("places"), default=list)
    resolution = models.PositiveSmallIntegerField(_("H3 resolution"), default=8)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("raid plan")
        verbose_name_plural = _("raid plans")
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "week"], name="raid_plan_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.territory_id} {self.week}"


class RebuildRun(models.Model):
    """One rebuild of the roll-ups from the records: when, by whom, rows written per part."""

    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rows = models.JSONField(_("rows written"), default=dict)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("roll-up rebuild")
        verbose_name_plural = _("roll-up rebuilds")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}"


class RaisedAlarm(models.Model):
    """An early-warning alarm (`jaga.analytics.warning`) stored when the monthly run raised it:
    a village and category whose incidents rose above their expected level, first in `month`.

    The live page computes alarms on the fly; these rows keep what was raised when, so an alarm is
    announced (`alarm.raised`) once and stays on record after the figures move.
    """

    scope_field = "village__code"
    scope_roles = STAFF_ROLES

    village = models.ForeignKey(
        "territory.Territory", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    regency_code = models.CharField(max_length=5, db_index=True)
    category_code = models.CharField(_("category"), max_length=40, blank=True)
    month = models.DateField(_("first month"), help_text=_("The month the alarm first rang."))
    run_month = models.DateField(_("computed for"), help_text=_("The closed month of the run."))
    observed = models.IntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    statistic = models.FloatField(_("statistic"))
    limit = models.FloatField(_("limit"))
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("raised alarm")
        verbose_name_plural = _("raised alarms")
        ordering = ["-month", "village_id", "category_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "category_code", "month"], name="raisedalarm_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.category_code or '*'} {self.month:%Y-%m}"
