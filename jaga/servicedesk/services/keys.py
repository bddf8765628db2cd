"""Open311 API keys of client applications."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.models import hash_token
from jaga.core.audit import log_action, snapshot
from jaga.core.codes import random_secret
from jaga.core.errors import DomainError
from jaga.core.types import Actor, signed_in
from jaga.servicedesk.models import (
    Open311Client,
)


def create_open311_client(
    name: str, *, actor: Actor = None, contact: str = ""
) -> tuple[Open311Client, str]:
    """Issue an API key to a client application. The raw key is returned once, never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", _("Name the client application."))
    raw = "o311_" + random_secret(24)
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name[:120],
            prefix=raw[:10],
            key_hash=hash_token(raw),
            contact=contact[:200],
            created_by=signed_in(actor),
        )
        log_action("servicedesk.open311_key_created", client, actor=actor, after=snapshot(client))
    return client, raw


def revoke_open311_client(client: Open311Client, *, actor: Actor = None) -> Open311Client:
    with transaction.atomic():
        locked = Open311Client.objects.select_for_update().get(pk=client.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            log_action("servicedesk.open311_key_revoked", locked, actor=actor)
    return locked


def open311_client_for_key(raw: str) -> Open311Client | None:
    if not raw:
        return None
    client = Open311Client.objects.filter(key_hash=hash_token(raw), revoked_at__isnull=True).first()
    if client is not None:
        now = timezone.now()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    return client
