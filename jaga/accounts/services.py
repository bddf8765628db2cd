"""Changes to users, postings and API tokens."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.models import ApiToken, Posting, Role, User, hash_token
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.types import Actor
from jaga.territory.models import Level, PoliceUnit, Territory


def create_api_token(user: User, name: str, *, actor: Actor) -> tuple[ApiToken, str]:
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


def revoke_api_token(user: User, token_id: int, *, actor: Actor) -> ApiToken:
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


def set_language_preference(user: User, language: str, *, actor: Actor) -> bool:
    """Remember the language the user chose, applied again at each login. Returns whether it
    changed (a language the site does not offer is ignored)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return False
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.language == language:
            return False
        before = {"language": locked.language}
        locked.language = language
        locked.save(update_fields=["language"])
        log_action(
            "accounts.language_changed",
            locked,
            actor=actor,
            before=before,
            after={"language": language},
        )
    user.language = language
    return True


# Which territory level a posting of each role is made to (the scope it grants follows from it).
ROLE_LEVELS: dict[str, set[str]] = {
    Role.PUBLIC: {Level.VILLAGE},
    Role.PARTNER: {Level.VILLAGE, Level.DISTRICT, Level.REGENCY},
    Role.BHABIN: {Level.VILLAGE},
    Role.POLSEK: {Level.DISTRICT},
    # A Polda's staff and leaders are posted to the province, the national unit's to the country.
    Role.SATBINMAS: {Level.REGENCY, Level.PROVINCE, Level.COUNTRY},
    Role.LEADER: {Level.REGENCY, Level.PROVINCE, Level.COUNTRY},
    Role.ADMIN: {Level.VILLAGE, Level.DISTRICT, Level.REGENCY, Level.PROVINCE, Level.COUNTRY},
}


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _check_not_ended(territory: Territory, valid_from: datetime.date, pk: int | None) -> None:
    """A posting dated from a village's end (pemekaran) on belongs to the villages that replaced
    it; a posting kept where and when it starts (its other fields corrected) stays as it is."""
    from jaga.territory.pemekaran import refuse_ended

    if territory.valid_to is None:
        return
    if (
        pk is not None
        and Posting.objects.filter(pk=pk, territory=territory, valid_from=valid_from).exists()
    ):
        return
    refuse_ended(territory, valid_from)


def check_posting(
    user: User,
    role: str,
    territory: Territory,
    *,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    organisation_id: int | None = None,
    exclude_pk: int | None = None,
) -> None:
    """Refuse a posting that does not fit: raise DomainError with a translated message.

    A posting grants scope, so it must make sense: the territory's level fits the role, the dates
    run forwards, a partner coordinator names an organisation of that area (and only a partner
    does), and the user does not already hold the same role over the same territory in an
    overlapping period.
    """
    from jaga.partners.models import Organisation

    if role not in Role.values:
        raise DomainError("bad_role", _("Unknown role %(role)s.") % {"role": role})
    if role == Role.BHABIN and territory.level != Level.VILLAGE:
        raise DomainError(
            "bhabin_needs_village", _("A Bhabinkamtibmas is posted to a village (desa/kelurahan).")
        )
    if territory.level not in ROLE_LEVELS[role]:
        raise DomainError(
            "bad_level",
            _("A %(role)s cannot be posted to a %(level)s.")
            % {"role": Role(role).label, "level": Level(territory.level).label},
        )
    if valid_to is not None and valid_to < valid_from:
        raise DomainError("bad_dates", _("A posting cannot end before it starts."))
    _check_not_ended(territory, valid_from, exclude_pk)
    if role == Role.PARTNER:
        if organisation_id is None:
            raise DomainError(
                "organisation_required",
                _("A partner coordinator's posting names the organisation they coordinate."),
            )
        org = Organisation.objects.select_related("territory").filter(pk=organisation_id).first()
        if org is None:
            raise DomainError("no_organisation", _("No such organisation."))
        if not _related(org.territory.code, territory.code):
            raise DomainError(
                "organisation_elsewhere",
                _("%(organisation)s works in %(area)s, outside %(territory)s.")
                % {
                    "organisation": org.name,
                    "area": org.territory.name,
                    "territory": territory.name,
                },
            )
    elif organisation_id is not None:
        raise DomainError(
            "organisation_not_partner",
            _("Only a partner coordinator's posting names an organisation."),
        )
    if user.pk is None:
        return  # a user being created holds no postings yet
    overlapping = Posting.objects.filter(user=user, role=role, territory=territory).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    if overlapping.exists():
        raise DomainError(
            "posting_overlaps",
            _("%(user)s already holds this role over %(territory)s in that period.")
            % {"user": user, "territory": territory.name},
        )


def create_posting(
    user: User,
    role: str,
    territory: Territory,
    *,
    actor: Actor,
    unit: PoliceUnit | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    organisation_id: int | None = None,
) -> Posting:
    """Post a user to a territory with a role (a Bhabinkamtibmas to a village, ...)."""
    valid_from = valid_from or timezone.localdate()
    with transaction.atomic():
        # Lock the user so two concurrent postings cannot both pass the overlap check.
        User.objects.select_for_update().filter(pk=user.pk).first()
        check_posting(
            user,
            role,
            territory,
            valid_from=valid_from,
            valid_to=valid_to,
            organisation_id=organisation_id,
        )
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


def change_posting(
    posting: Posting,
    *,
    actor: Actor,
    role: str,
    territory: Territory,
    unit: PoliceUnit | None,
    valid_from: datetime.date,
    valid_to: datetime.date | None,
    organisation_id: int | None,
) -> Posting:
    """Correct a posting (its role, territory, unit, organisation or dates), checked like a new one."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=posting.user_id).first()
        locked = Posting.objects.select_for_update().select_related("user").get(pk=posting.pk)
        check_posting(
            locked.user,
            role,
            territory,
            valid_from=valid_from,
            valid_to=valid_to,
            organisation_id=organisation_id,
            exclude_pk=locked.pk,
        )
        before = snapshot(locked)
        locked.role = role
        locked.territory = territory
        locked.unit = unit
        locked.valid_from = valid_from
        locked.valid_to = valid_to
        locked.organisation_id = organisation_id
        locked.save()
        log_action(
            "accounts.posting_changed",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=territory.code,
        )
    return locked


def end_posting(posting: Posting, on: datetime.date, *, actor: Actor) -> Posting:
    """End a posting on `on` (its last day): the scope it granted stops the day after."""
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


def confirm_totp_device(user: User, token: str, *, actor: Actor) -> Any:
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
