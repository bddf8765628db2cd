from __future__ import annotations

from django_tasks import task


@task()
def send_delivery(delivery_pk: int) -> None:
    """Background task: one try of a webhook delivery (jaga.webhooks.services.attempt)."""
    from jaga.webhooks.services import attempt

    attempt(delivery_pk)
