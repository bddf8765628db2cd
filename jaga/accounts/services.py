"""Changes to users, postings and API tokens."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.models import ApiToken, Posting, User, hash_token
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.territory.models import PoliceUnit, Territory


def create_api_token(user: User, name: str, *, actor: Any) -> tuple[ApiToken, str]:
    """Create a personal API token; the raw token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError("name_required", _("Give the token a name."))
    raw = "jaga_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw)
        )
        log_action("accounts.token_created", token, actor=actor, after=snapshot(token))
    return token, raw


def revoke_api_token(user: User, token_id: int, *, actor: Any) -> ApiToken:
    with transaction.atomic():
        try:
            token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
        except ApiToken.DoesNotExist:
            raise DomainError("not_found", _("No such token.")) from None
        if token.revoked_at is None:
            before = snapshot(token)
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            log_action(
                "accounts.token_revoked", token, actor=actor, before=before, after=snapshot(token)
            )
    return token


def create_posting(
    user: User,
    role: str,
    territory: Territory,
    *,
    actor: Any,
    unit: PoliceUnit | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    organisation_id: int | None = None,
) -> Posting:
    """Post a user to a territory with a role (a Bhabinkamtibmas to a village, ...)."""
    from jaga.accounts.models import Role
    from jaga.territory.models import Level

    if role not in Role.values:
        raise DomainError("bad_role", _("Unknown role %(role)s.") % {"role": role})
    if role == Role.BHABIN and territory.level != Level.VILLAGE:
        raise DomainError(
            "bhabin_needs_village", _("A Bhabinkamtibmas is posted to a village (desa/kelurahan).")
        )
    valid_from = valid_from or timezone.localdate()
    if valid_to is not None and valid_to < valid_from:
        raise DomainError("bad_dates", _("A posting cannot end before it starts."))
    with transaction.atomic():
        posting = Posting.objects.create(
            user=user,
            role=role,
            territory=territory,
            unit=unit,
            valid_from=valid_from,
            valid_to=valid_to,
            organisation_id=organisation_id,
        )
        log_action(
            "accounts.posting_created",
            posting,
            actor=actor,
            after=snapshot(posting),
            territory_code=territory.code,
        )
    return posting


def end_posting(posting: Posting, on: datetime.date, *, actor: Any) -> Posting:
    with transaction.atomic():
        locked = Posting.objects.select_for_update().get(pk=posting.pk)
        if on < locked.valid_from:
            raise DomainError("bad_dates", _("A posting cannot end before it starts."))
        before = snapshot(locked)
        locked.valid_to = on
        locked.save(update_fields=["valid_to"])
        log_action(
            "accounts.posting_ended",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=locked.territory.code,
        )
    return locked


def start_totp_enrolment(user: User) -> Any:
    """The user's pending (unconfirmed) TOTP device, made once and kept until confirmed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Jaga", confirmed=False)
    return device


def confirm_totp_device(user: User, token: str, *, actor: Any) -> Any:
    """Confirm the pending device with a code from the app; it replaces any earlier device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise DomainError("otp_no_enrolment", _("Start the enrolment again."))
    # Outside the transaction: a wrong code must leave its throttling mark (django-otp doubles
    # the wait after each wrong code).
    if not device.verify_token(token):
        raise DomainError("otp_invalid", _("That code is not right. Check the time on your phone."))
    with transaction.atomic():
        replaced = list(
            TOTPDevice.objects.select_for_update().filter(user=user).exclude(pk=device.pk)
        )
        TOTPDevice.objects.filter(pk__in=[d.pk for d in replaced]).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        log_action(
            "accounts.otp_enrolled",
            user,
            actor=actor,
            after={"device": device.pk, "replaced": [d.pk for d in replaced]},
        )
    return device
