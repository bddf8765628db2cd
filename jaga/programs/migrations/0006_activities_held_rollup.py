"""Fill the roll-up `activities.held` (an activity counted once, in the village where it was held,
in the local month it started, keyed by its programme's code) from the activities recorded before
it existed. One grouped query and batched inserts; the rows already there are replaced, so running
it again (or after `jaga analytics rebuild`) gives the same figures.

Published portal months stored before this table existed are published again by the monthly
`publish_closed_months` (`reports.public.current_q`), when one is opened on the portal, or at
once with `jaga report publish --all --missing`.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models.functions import TruncMonth

METRIC = "activities.held"  # jaga.programs.metrics.ACTIVITIES_HELD (no app code in migrations)
BATCH = 5000


def fill(apps: Any, schema_editor: Any) -> None:
    Activity = apps.get_model("programs", "Activity")
    MonthlyMetric = apps.get_model("analytics", "MonthlyMetric")
    db = schema_editor.connection.alias
    MonthlyMetric.objects.using(db).filter(metric=METRIC).delete()
    rows = (
        Activity.objects.using(db)
        .order_by()
        .annotate(
            # The database's current time zone (TIME_ZONE, Asia/Jakarta), as the writers and
            # `analytics.rebuild.grouped` cut months.
            m=TruncMonth("starts_at", output_field=models.DateField()),
            v=models.F("village_id"),
            p=models.F("village__province_code"),
            r=models.F("village__regency_code"),
            d=models.F("village__district_code"),
            k=models.F("programme__code"),
        )
        .values("v", "p", "r", "d", "m", "k")
        .annotate(n=models.Count("pk"))
        .values_list("v", "p", "r", "d", "m", "k", "n")
    )
    batch = []
    for village_id, province, regency, district, month, key, n in rows.iterator(chunk_size=BATCH):
        batch.append(
            MonthlyMetric(
                village_id=village_id,
                province_code=province,
                regency_code=regency,
                district_code=district,
                month=month,
                metric=METRIC,
                key=key,
                value=n,
            )
        )
        if len(batch) >= BATCH:
            MonthlyMetric.objects.using(db).bulk_create(batch)
            batch = []
    MonthlyMetric.objects.using(db).bulk_create(batch)


def unfill(apps: Any, schema_editor: Any) -> None:
    MonthlyMetric = apps.get_model("analytics", "MonthlyMetric")
    MonthlyMetric.objects.using(schema_editor.connection.alias).filter(metric=METRIC).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0005_lead_unit_help_without_place"),
        ("analytics", "0010_regency_series"),
    ]

    operations = [migrations.RunPython(fill, unfill)]
