"""Background work of the service desk (django-tasks), run by the scheduler every day."""

from __future__ import annotations

from django_tasks import task


@task()
def remind_overdue_task() -> int:
    """Remind officers of their overdue reports; returns how many reports were reminded of."""
    from jaga.servicedesk.services import remind_overdue

    return remind_overdue()


@task()
def close_resolved_task() -> int:
    """Close resolved reports whose reopening period is over; returns how many were closed."""
    from jaga.servicedesk.services import close_expired_resolved

    return close_expired_resolved()
