"""Signals the service desk sends for other apps (sent after the transaction commits).

`request_closed.send(sender=ServiceRequest, request=obj, ticket=str, village=Territory,
email=str, phone=str)`: a report was closed; the surveys app invites the reporter (once per
report) to the trust survey when a contact is known.
"""

from __future__ import annotations

from django.dispatch import Signal

request_closed = Signal()
