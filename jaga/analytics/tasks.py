"""Background work of the analytics app (django-tasks): the national roll-up rebuild, the
monthly early warning, the regencies' packed series."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def rebuild_rollups_task(actor_id: int | None = None) -> dict[str, Any]:
    """Rebuild every roll-up in a worker; returns the rows written per part."""
    from django.contrib.auth import get_user_model

    from jaga.analytics.services import rebuild_rollups

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    run = rebuild_rollups(actor=actor)
    return {"run": run.pk, "rows": run.rows, "seconds": run.seconds}


@task()
def early_warning_task(territory_code: str, month: str) -> int:
    """Run the early warning of a regency for a closed month (YYYY-MM) and store the alarms it
    raised; returns how many are new."""
    import datetime

    from jaga.analytics.services import record_alarms

    year, number = (int(p) for p in month.split("-"))
    return len(record_alarms(territory_code, datetime.date(year, number, 1)))


@task()
def refresh_series_task() -> int:
    """Build again the packed series (`series.matrices`) of every regency whose roll-up moved
    since they were stored; returns how many were built."""
    from jaga.analytics import series

    return series.refresh()
