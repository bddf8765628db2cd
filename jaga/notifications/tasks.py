"""Background work of notifications (django-tasks): a slow mail server or gateway never holds
up the request that caused the event."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def notify_officers(event: dict[str, Any]) -> int:
    """Write the officers' notifications of one event (`Event.as_dict()`) and queue the sends."""
    from jaga.notifications import services

    return len(services.notify_officers(services.event_from_dict(event)))


@task()
def send_notification(notification_id: int) -> str:
    from jaga.notifications import services

    note = services.send_notification(notification_id)
    return f"{note.email_status}/{note.message_status}"


@task()
def news_for_residents(event: dict[str, Any]) -> int:
    from jaga.notifications import services

    return services.news_for_residents(services.event_from_dict(event))


@task()
def send_confirmation(subscription_id: int) -> bool:
    from jaga.notifications import services

    return services.send_confirmation(subscription_id)
