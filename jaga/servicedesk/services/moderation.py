"""Moderation: a report's free text and photos become public only as a version staff approved."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.core import events
from jaga.core.audit import log_action
from jaga.core.errors import DomainError
from jaga.core.types import Actor, signed_in
from jaga.servicedesk.models import Attachment, Moderation, ServiceRequest
from jaga.servicedesk.services.common import (
    MAX_DESCRIPTION,
    check_actor,
    emit_report_event,
    lock_request,
)

REDACTED = "[…]"
# Indonesian phone numbers (08…, +62 8…, 62 8…) with the usual separators, email addresses and
# 16-digit NIK; a staff member still reads the text for names, house numbers and the like.
PHONE = re.compile(r"(?<!\d)(?:\+?62|0)[\s.\-]?8(?:[\s.\-]?\d){7,11}(?!\d)")
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
PATTERNS = [PHONE, EMAIL, NIK]


def personal_data_in(text: str) -> list[str]:
    """The phone numbers, emails and NIKs found in `text`."""
    return [m.group(0) for pattern in PATTERNS for m in pattern.finditer(text or "")]


def propose_public_text(request: ServiceRequest) -> str:
    """A first public version for the moderator: phones, emails, NIKs and the reporter's name
    removed. The moderator reads and edits it before approving."""
    text = request.public_description or request.description
    for pattern in PATTERNS:
        text = pattern.sub(REDACTED, text)
    name = (request.reporter_name or "").strip()
    if name:
        text = re.sub(re.escape(name), REDACTED, text, flags=re.IGNORECASE)
        for part in name.split():
            if len(part) >= 3:
                text = re.sub(rf"\b{re.escape(part)}\b", REDACTED, text, flags=re.IGNORECASE)
    return text


def _check_public_text(public_text: str) -> None:
    if not public_text:
        raise DomainError("empty_public_text", _("Write the public text, or reject it."))
    if len(public_text) > MAX_DESCRIPTION:
        raise DomainError(
            "description_too_long",
            _("The description is limited to %(n)s characters.") % {"n": MAX_DESCRIPTION},
        )
    found = personal_data_in(public_text)
    if found:
        raise DomainError(
            "personal_data",
            _(
                "The public text still contains personal data (%(found)s). Remove phone "
                "numbers, email addresses and NIKs."
            )
            % {"found": ", ".join(found)},
        )


def moderate_request(
    request: ServiceRequest,
    *,
    actor: Actor,
    approve: bool,
    public_text: str = "",
    photos: dict[int, bool] | None = None,
) -> ServiceRequest:
    """Approve a public version of the report's text (or refuse to publish any) and decide on
    each photo (`photos`: photo id → shown publicly). Reports of sensitive services are never
    published. Refused: an empty approved text, or one that still holds a phone number, an email
    address or a NIK.
    """
    check_actor(request, actor)
    if request.service.sensitive:
        raise DomainError(
            "sensitive", _("Reports of this service are never published; there is nothing to do.")
        )
    public_text = (public_text or "").strip()
    photos = photos or {}
    if approve:
        _check_public_text(public_text)
    now = timezone.now()
    with transaction.atomic():
        locked = lock_request(request)
        own = {p.pk: p for p in Attachment.objects.select_for_update().filter(request=locked)}
        unknown = set(photos) - set(own)
        if unknown:
            raise DomainError("unknown_photo", _("That photo does not belong to this report."))
        before = {
            "moderation": locked.moderation,
            "public_description": locked.public_description,
            "photos": {str(pk): p.public for pk, p in own.items() if p.reviewed_at is not None},
        }
        locked.moderation = Moderation.APPROVED if approve else Moderation.REJECTED
        locked.public_description = public_text if approve else ""
        locked.moderated_at = now
        locked.moderated_by = signed_in(actor)
        locked.updated_at = now
        locked.save(
            update_fields=[
                "moderation",
                "public_description",
                "moderated_at",
                "moderated_by",
                "updated_at",
            ]
        )
        for pk, shown in photos.items():
            photo = own[pk]
            photo.public = bool(shown)
            photo.reviewed_at = now
            photo.save(update_fields=["public", "reviewed_at"])
        log_action(
            "servicedesk.moderated",
            locked,
            actor=actor,
            before=before,
            after={
                "moderation": locked.moderation,
                "public_description": locked.public_description,
                "photos": {str(pk): bool(shown) for pk, shown in photos.items()},
            },
            territory_code=locked.village.code,
        )
        if approve and before["moderation"] != Moderation.APPROVED:
            emit_report_event(events.REPORT_PUBLISHED, locked)
    request.refresh_from_db()
    return request
