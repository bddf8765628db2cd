"""Every event an endpoint may ask for becomes deliveries (jaga.webhooks.services)."""

from __future__ import annotations

from jaga.core import events
from jaga.webhooks import services
from jaga.webhooks.models import EVENT_CHOICES


def on_event(event: events.Event) -> None:
    services.queue_event(event)


for _name, _label in EVENT_CHOICES:
    events.subscribe(_name)(on_event)
