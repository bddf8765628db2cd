"""Queueing, sending and retrying webhook deliveries.

A listener (listeners.py) turns each event into one `Delivery` per endpoint that wants it and
queues its first try on the task queue. A try signs the stored body (signing.py) and POSTs it
through `jaga.core.outbound` (https only, public addresses only, no redirects, a timeout). A 2xx
answer delivers it; anything else (another status, a timeout, a refused address) counts as a
failed try, and the next one waits `WEBHOOK_RETRY_BASE × 2^(tries-1)` seconds, until
`WEBHOOK_MAX_ATTEMPTS` tries have failed and the delivery is given up. `jaga webhooks retry`
sends the due ones at once (and with `--failed` gives up ones another chance).
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import default_task_backend

from jaga.core import events, outbound
from jaga.core.audit import log_action
from jaga.core.codes import random_code
from jaga.core.prepared import Prepared
from jaga.core.types import Actor
from jaga.core.versioned import Versioned
from jaga.webhooks.models import Delivery, DeliveryStatus, Endpoint
from jaga.webhooks.signing import signature

log = logging.getLogger("jaga.webhooks")

# The event data a receiver gets, by name: codes, statuses, times and an alarm's figures. Any
# other key an emitter adds (the officer's account id, the `sensitive` flag, whatever is added
# later) stays inside Jaga until it is named here and in docs/webhooks.md.
PUBLIC_KEYS = {
    events.REPORT_CREATED: frozenset(
        {
            "ticket",
            "service",
            "status",
            "village_code",
            "district_code",
            "regency_code",
            "received_at",
            "due_at",
        }
    ),
    events.ALARM_RAISED: frozenset(
        {"village_code", "category", "category_name", "month", "observed", "expected"}
    ),
}
PUBLIC_KEYS[events.REPORT_OVERDUE] = PUBLIC_KEYS[events.REPORT_CREATED]
PUBLIC_KEYS[events.REPORT_STATUS_CHANGED] = PUBLIC_KEYS[events.REPORT_CREATED] | {"status_from"}
# Error text kept in the log, cut to the column.
ERROR_LENGTH = 500


def body_for(event: events.Event, delivery_id: str) -> dict[str, Any]:
    """The JSON a receiver gets: the event, its time and codes and statuses, nothing else."""
    public = PUBLIC_KEYS.get(event.name, frozenset())
    data = {
        key: value
        for key, value in sorted(event.data.items())
        if key in public and isinstance(value, str | int | float | bool | type(None))
    }
    return {
        "id": delivery_id,
        "event": event.name,
        "time": event.at.isoformat(),
        "territory_code": event.territory_code,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": data,
    }


# Read after every event's commit (each public report): compiled once per process, and what it
# found kept per process while the endpoints' version stays (jaga.core.versioned).
_ACTIVE_ENDPOINTS = Prepared(
    Endpoint, lambda: Endpoint.objects.filter(is_active=True).order_by("pk")
)
_KEPT_ENDPOINTS = Versioned(Endpoint, ("webhook",), _ACTIVE_ENDPOINTS.all)


def queue_event(event: events.Event) -> list[Delivery]:
    """One delivery per endpoint that asked for this event in this area; first tries queued."""
    if event.data.get("sensitive"):
        return []  # domestic violence and the like never leave the police
    created = []
    now = timezone.now()
    for endpoint in _KEPT_ENDPOINTS():
        if not endpoint.wants(event):
            continue
        delivery_id = random_code(20)
        created.append(
            Delivery.objects.create(
                endpoint=endpoint,
                delivery_id=delivery_id,
                event=event.name,
                payload=body_for(event, delivery_id),
                created_at=now,
                next_try_at=now,
            )
        )
    for delivery in created:
        schedule(delivery)
    return created


def schedule(delivery: Delivery) -> None:
    """Queue the next try of a waiting delivery (at its time, where the queue can wait)."""
    from jaga.webhooks.tasks import send_delivery

    when = delivery.next_try_at
    if when is not None and when > timezone.now():
        if not default_task_backend.supports_defer:
            return  # `jaga webhooks retry` (run from cron) picks it up when due
        send_delivery.using(run_after=when).enqueue(delivery.pk)
    else:
        send_delivery.enqueue(delivery.pk)


def backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=int(settings.WEBHOOK_RETRY_BASE) * 2 ** (attempts - 1))


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def attempt(delivery_pk: int, *, force: bool = False) -> Delivery | None:
    """Make one try of a waiting delivery (when due, or at once with `force`)."""
    now = timezone.now()
    timeout = float(settings.WEBHOOK_TIMEOUT)
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_pk)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return delivery
        if not force and delivery.next_try_at is not None and delivery.next_try_at > now:
            return delivery  # not due, or another worker is trying it right now
        delivery.attempts += 1
        delivery.last_tried_at = now
        # Held while the request runs, so a second worker or the retry command leaves it alone.
        delivery.next_try_at = now + datetime.timedelta(seconds=2 * timeout + 60)
        delivery.save(update_fields=["attempts", "last_tried_at", "next_try_at"])
    endpoint = delivery.endpoint
    body = encode(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Jaga-Webhooks/1",
        "X-Jaga-Event": delivery.event,
        "X-Jaga-Delivery": delivery.delivery_id,
        "X-Jaga-Signature": signature(endpoint.secret, body, int(time.time())),
    }
    code: int | None = None
    error = ""
    try:
        answer = outbound.request(
            endpoint.url,
            method="POST",
            body=body,
            headers=headers,
            timeout=timeout,
            max_bytes=10_000,
        )
        code = answer.status
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except outbound.OutboundError as exc:
        error = str(exc.message)
    finished = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_pk)
        delivery.response_code = code
        delivery.error = error[:ERROR_LENGTH]
        if not error:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = finished
            delivery.next_try_at = None
        elif delivery.attempts >= int(settings.WEBHOOK_MAX_ATTEMPTS):
            delivery.status = DeliveryStatus.FAILED
            delivery.next_try_at = None
        else:
            delivery.next_try_at = finished + backoff(delivery.attempts)
        delivery.save(
            update_fields=["response_code", "error", "status", "delivered_at", "next_try_at"]
        )
    if error:
        log.warning("webhook %s to %s failed: %s", delivery.delivery_id, endpoint.name, error)
    if delivery.status == DeliveryStatus.PENDING:
        schedule(delivery)
    return delivery


def due(now: datetime.datetime | None = None) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        status=DeliveryStatus.PENDING, next_try_at__lte=now or timezone.now()
    ).order_by("next_try_at", "pk")


def retry(*, failed: bool = False, ids: Iterable[str] = (), actor: Actor = None) -> list[Delivery]:
    """Send now the deliveries that are due (or those named by delivery id, waiting or given
    up); with `failed`, given-up deliveries get a fresh set of tries too. Returns them as
    they ended."""
    wanted = list(ids)
    if wanted:
        pks = list(Delivery.objects.filter(delivery_id__in=wanted).values_list("pk", flat=True))
    else:
        pks = list(due().values_list("pk", flat=True))
        if failed:
            pks += list(
                Delivery.objects.filter(status=DeliveryStatus.FAILED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
    done = []
    for pk in pks:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().filter(pk=pk).first()
            if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
                continue
            if delivery.status == DeliveryStatus.FAILED:
                before = {"status": delivery.status, "attempts": delivery.attempts}
                delivery.status = DeliveryStatus.PENDING
                delivery.attempts = 0
                delivery.next_try_at = timezone.now()
                delivery.save(update_fields=["status", "attempts", "next_try_at"])
                log_action(
                    "webhooks.retry",
                    delivery,
                    actor=actor,
                    before=before,
                    after={"status": delivery.status, "attempts": 0},
                    note=delivery.delivery_id,
                )
        result = attempt(pk, force=True)
        if result is not None:
            done.append(result)
    return done
