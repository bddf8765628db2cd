"""Every state change of the surveys: record a response, invite a reporter, change IKM weights."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.analytics.rollups import bump_metric
from jaga.core import roundtrip
from jaga.core.audit import log_action, snapshot
from jaga.core.codes import random_secret
from jaga.core.errors import DomainError
from jaga.core.gateways import get_gateway
from jaga.core.links import absolute_reverse
from jaga.core.months import month_start
from jaga.core.types import Actor, Viewer, signed_in
from jaga.surveys import ikm as ikm_math
from jaga.surveys import metrics as survey_metrics
from jaga.surveys.models import (
    IKM_ELEMENTS,
    IKM_MAX,
    IKM_MIN,
    LIKERT_MAX,
    LIKERT_MIN,
    TRUST_LIKERT,
    TRUST_YESNO,
    AgeGroup,
    Channel,
    Education,
    Gender,
    IkmElement,
    IkmResponse,
    Occupation,
    TrustInvitation,
    TrustResponse,
)
from jaga.territory.models import Level, PoliceUnit, Territory
from jaga.territory.pemekaran import EndedVillages, refuse_ended, replacing

log = logging.getLogger("jaga.surveys")

PROFILE_CHOICES = {
    "gender": Gender,
    "age_group": AgeGroup,
    "education": Education,
    "occupation": Occupation,
}


def _village(village: Territory | None) -> Territory:
    if village is None or village.level != Level.VILLAGE:
        raise DomainError("bad_village", _("Choose a village (desa / kelurahan)."))
    return village


def _score(value: Any, name: str, low: int, high: int) -> int:
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = None
    if score is None or str(value).strip() not in {str(score), f"{score}.0"}:
        raise DomainError(
            "score_out_of_range",
            _("The answer to “%(question)s” must be a whole number from %(low)s to %(high)s.")
            % {"question": name, "low": low, "high": high},
            field=name,
        )
    if not low <= score <= high:
        raise DomainError(
            "score_out_of_range",
            _("The answer to “%(question)s” must be a whole number from %(low)s to %(high)s.")
            % {"question": name, "low": low, "high": high},
            field=name,
        )
    return score


def _answered_on(value: datetime.date | None) -> datetime.date:
    today = timezone.localdate()
    answered = value or today
    if answered > today:
        raise DomainError("future_date", _("The answer date cannot be in the future."))
    return answered


def submit_ikm_response(
    *,
    village: Territory | None,
    unit: PoliceUnit | None,
    scores: Mapping[str, Any],
    channel: str = Channel.PORTAL,
    service: str = "",
    answered_on: datetime.date | None = None,
    profile: Mapping[str, str] | None = None,
    actor: Actor = None,
) -> IkmResponse:
    """Record one IKM questionnaire (nine scores 1–4) and add it to the monthly roll-up."""
    village = _village(village)
    if unit is None:
        raise DomainError("bad_unit", _("Choose the service unit that served you."))
    clean = {
        code: _score(scores.get(code), f"U{i}", IKM_MIN, IKM_MAX)
        for i, code in enumerate(IKM_ELEMENTS, start=1)
    }
    profile_clean: dict[str, str] = {}
    for field, choices in PROFILE_CHOICES.items():
        value = (profile or {}).get(field, "") or ""
        if value and value not in choices.values:
            raise DomainError(
                "bad_profile", _("Unknown value for %(field)s.") % {"field": field}, field=field
            )
        profile_clean[field] = value
    when = _answered_on(answered_on)
    refuse_ended(village, when)  # dated by its answer, as the import
    with transaction.atomic():
        response = IkmResponse.objects.create(
            village=village,
            regency_code=village.regency_code,
            district_code=village.district_code,
            unit=unit,
            service=service[:60],
            answered_on=when,
            channel=channel,
            created_by=signed_in(actor),
            **clean,
            **profile_clean,
        )
        bump_metric(village, when, survey_metrics.IKM_N, 1)
        for code, score in clean.items():
            bump_metric(village, when, survey_metrics.IKM_SUM, score, key=code)
        log_action(
            "surveys.ikm_response",
            response,
            actor=actor,
            after=snapshot(response),
            territory_code=village.code,
        )
    return response


def _yes_no(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "ya", "y"}:
        return True
    if text in {"0", "false", "no", "tidak", "t", "n"}:
        return False
    raise DomainError(
        "yes_no_required",
        _("The answer to “%(question)s” must be yes or no.") % {"question": name},
        field=name,
    )


def invitation_ended(village: Territory, on: datetime.date) -> tuple[str, list[Territory]]:
    """An invitation's village was fixed when it was sent; an answer dated from that village's
    end on (a pemekaran) is about a village that no longer exists, so it belongs to one of the
    villages that replaced it, the one the resident lives in: theirs to choose, never guessed.
    The message telling the resident so, in their language, and the villages to choose from
    (Kemendagri data only); ("", []) when the village takes the answer."""
    if village.valid_to is None or on < village.valid_to:
        return "", []
    after = replacing(village)
    values = {
        "village": village.display_name,
        "date": formats.date_format(village.valid_to, "j F Y"),
        "villages": ", ".join(t.display_name for t in after),
    }
    if not after:
        message = _(
            "%(village)s, the village of this survey, ended on %(date)s (pemekaran) and the "
            "village that replaced it is not recorded yet, so this survey can no longer be "
            "answered here. Thank you for your time."
        )
    else:
        message = ngettext(
            "%(village)s, the village of this survey, ended on %(date)s (pemekaran). Choose the "
            "village that replaced it if you live there: %(villages)s.",
            "%(village)s, the village of this survey, ended on %(date)s (pemekaran). Choose the "
            "village where you live today among those that replaced it: %(villages)s.",
            len(after),
        )
    return message % values, after


def _invited_village(
    invitation: TrustInvitation, chosen: Territory | None, on: datetime.date
) -> Territory:
    """The village an invitation's answer dated `on` goes to: the invitation's own, or after its
    end the successor the resident chose (`invitation_ended`); refused otherwise."""
    message, after = invitation_ended(invitation.village, on)
    if not message:
        return invitation.village
    if chosen is not None and chosen.pk in {t.pk for t in after}:
        return chosen
    raise DomainError("village_ended", message, replaced_by=[t.code for t in after])


def submit_trust_response(
    *,
    village: Territory | None,
    answers: Mapping[str, Any],
    channel: str = Channel.PORTAL,
    answered_on: datetime.date | None = None,
    invitation_token: str = "",
    actor: Actor = None,
) -> TrustResponse:
    """Record one trust questionnaire; an invitation can be used once only. With an invitation,
    `village` is read only when the invitation's village ended (the successor the resident
    chose, see `invitation_ended`)."""
    clean: dict[str, Any] = {
        q: _score(answers.get(q), q, LIKERT_MIN, LIKERT_MAX) for q in TRUST_LIKERT
    }
    clean.update({q: _yes_no(answers.get(q), q) for q in TRUST_YESNO})
    with transaction.atomic():
        invitation = None
        if invitation_token:
            invitation = (
                TrustInvitation.objects.select_for_update()
                .select_related("village")
                .filter(token=invitation_token)
                .first()
            )
            if invitation is None:
                raise DomainError("unknown_invitation", _("This survey link is not valid."))
            if invitation.answered_at is not None:
                raise DomainError(
                    "already_answered",
                    _("This survey has already been answered. Thank you, your answer is kept."),
                )
            channel = Channel.INVITATION
        when = _answered_on(answered_on)
        if invitation is not None:
            village = _invited_village(invitation, village, when)
        village = _village(village)
        if invitation is None:
            refuse_ended(village, when)
        response = TrustResponse.objects.create(
            village=village,
            regency_code=village.regency_code,
            district_code=village.district_code,
            answered_on=when,
            channel=channel,
            invitation=invitation,
            created_by=signed_in(actor),
            **clean,
        )
        if invitation is not None:
            invitation.answered_at = timezone.now()
            invitation.save(update_fields=["answered_at"])
        bump_metric(village, when, survey_metrics.TRUST_N, 1)
        for q in TRUST_LIKERT + TRUST_YESNO:
            value = int(clean[q])
            bump_metric(village, when, survey_metrics.TRUST_SUM, value, key=q)
            bump_metric(village, when, survey_metrics.TRUST_SUMSQ, value * value, key=q)
        log_action(
            "surveys.trust_response",
            response,
            actor=actor,
            after=snapshot(response),
            territory_code=village.code,
        )
    return response


def invitation_url(token: str) -> str:
    return absolute_reverse("surveys:invited", token)


def _send_invitation(token: str, email: str, phone: str) -> None:
    url = invitation_url(token)
    text = _(
        "Thank you for your report to the police. How safe do you feel and how much do you "
        "trust the police? Two minutes, anonymous: %(url)s"
    ) % {"url": url}
    try:
        if email:
            send_mail(_("Jaga: a short survey"), text, None, [email])
        elif phone:
            get_gateway().send(phone, text)
    except Exception:  # a failed message must not undo the invitation
        log.exception("survey invitation for %s… could not be sent", token[:6])


def invite_after_close(
    *, ticket: str, village: Territory | None, email: str = "", phone: str = ""
) -> TrustInvitation | None:
    """Invite the reporter of a closed desk report to the trust survey, once per ticket.

    The contact is used to send the link and is not stored. Without a contact or a village
    nothing is created (there is nobody to ask).
    """
    if not ticket or village is None or not (email or phone):
        return None
    with transaction.atomic():
        existing = TrustInvitation.objects.filter(ticket=ticket).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                invitation = TrustInvitation.objects.create(
                    ticket=ticket,
                    village=village,
                    token=random_secret(24),
                    sent_via="email" if email else "phone",
                )
        except IntegrityError:  # a concurrent close of the same ticket won the race
            return TrustInvitation.objects.get(ticket=ticket)
        log_action(
            "surveys.invite",
            invitation,
            after={"ticket": ticket, "sent_via": invitation.sent_via},
            territory_code=village.code,
        )
        token = invitation.token
        transaction.on_commit(lambda: _send_invitation(token, email, phone))
    return invitation


def set_ikm_weights(weights: Mapping[str, Any], *, actor: Actor) -> None:
    """Change the nine weights at once; they must be non-negative and sum to 1."""
    try:
        clean = {code: Decimal(str(weights[code])) for code in IKM_ELEMENTS}
    except (KeyError, InvalidOperation) as exc:
        raise DomainError("bad_weights", _("Give a weight for each of the nine elements.")) from exc
    try:
        ikm_math.check_weights(clean)
    except ValueError as exc:
        raise DomainError(
            "bad_weights", _("The weights must be zero or more and add up to 1.")
        ) from exc
    with transaction.atomic():
        elements = {e.code: e for e in IkmElement.objects.select_for_update()}
        before = {c: e.weight for c, e in elements.items()}
        for code, weight in clean.items():
            element = elements[code]
            element.weight = weight
            element.save(update_fields=["weight"])
        log_action(
            "surveys.ikm_weights",
            next(iter(elements.values())),
            actor=actor,
            before=before,
            after=clean,
        )


IMPORT_COLUMNS = {
    "trust": ["village_code", "answered_on", *TRUST_LIKERT, *TRUST_YESNO],
    "ikm": ["village_code", "unit_code", "answered_on", *IKM_ELEMENTS],
}
IKM_OPTIONAL = ["service", "gender", "age_group", "education", "occupation"]


def _import_date(text: str) -> datetime.date:
    from jaga.core.tabular import date_out_of_range

    try:
        day = datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise DomainError(
            "bad_date", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text}
        ) from None
    problem = date_out_of_range(day, "answered_on")
    if problem:
        raise DomainError("bad_date", problem)
    return day


SurveyResponse = TrustResponse | IkmResponse


def _survey_contributions(response: Any) -> dict[tuple[int, str, str, str], int]:
    """What a response adds to its village's monthly figures (as the submit functions bump):
    {(village id, month, metric, key): value}."""

    month = month_start(response.answered_on).isoformat()
    vid = response.village_id
    out: dict[tuple[int, str, str, str], int] = {}
    if isinstance(response, TrustResponse):
        out[(vid, month, survey_metrics.TRUST_N, "")] = 1
        for q in TRUST_LIKERT + TRUST_YESNO:
            value = int(getattr(response, q))
            out[(vid, month, survey_metrics.TRUST_SUM, q)] = value
            out[(vid, month, survey_metrics.TRUST_SUMSQ, q)] = value * value
    else:
        out[(vid, month, survey_metrics.IKM_N, "")] = 1
        for code in IKM_ELEMENTS:
            out[(vid, month, survey_metrics.IKM_SUM, code)] = int(getattr(response, code))
    return out


TRUST_FIELDS = ["village", "answered_on", *TRUST_LIKERT, *TRUST_YESNO]
IKM_FIELDS = ["village", "unit", "answered_on", *IKM_ELEMENTS, "service", *PROFILE_CHOICES]


# Forms staff typed in from paper: on the paper-form page (`paper`) or in a file (`import`).
STAFF_ENTERED = (Channel.PAPER, Channel.IMPORT)


def update_survey_response(response: Any, *, actor: Actor, **changes: Any) -> Any:
    """Correct a paper form typed in by staff; its answers move in the monthly figures.

    Answers given online (portal, invitation link) are the respondent's own and are never
    changed by staff.
    """
    model = type(response)
    allowed = TRUST_FIELDS if model is TrustResponse else IKM_FIELDS
    with transaction.atomic():
        locked = model.objects.select_for_update().select_related("village").get(pk=response.pk)
        if locked.channel not in STAFF_ENTERED:
            raise DomainError(
                "not_a_paper_form",
                _(
                    "Only paper forms typed in by staff can be corrected; this answer was given online."
                ),
            )
        before = snapshot(locked)
        old = _survey_contributions(locked)
        old_village = locked.village
        for name, value in changes.items():
            if name not in allowed:
                raise DomainError("bad_field", _("%(field)s cannot be changed.") % {"field": name})
            setattr(locked, name, value)
        village = _village(locked.village)
        locked.answered_on = _answered_on(locked.answered_on)
        locked.regency_code, locked.district_code = village.regency_code, village.district_code
        locked.save()
        new = _survey_contributions(locked)
        villages = {old_village.pk: old_village, village.pk: village}
        for key in set(old) | set(new):
            delta = new.get(key, 0) - old.get(key, 0)
            if delta:
                vid, month, metric, code = key
                bump_metric(
                    villages[vid], datetime.date.fromisoformat(month), metric, delta, key=code
                )
        log_action(
            "surveys.response_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked),
            territory_code=village.code,
        )
    return locked


EXPORT_EXTRA = ["channel"]


def export_headers(kind: str) -> list[str]:
    optional = IKM_OPTIONAL if kind == "ikm" else []
    return ["id", *IMPORT_COLUMNS[kind], *optional, *EXPORT_EXTRA]


def survey_rows(kind: str, user: Viewer) -> Iterator[list[Any]]:
    """The survey forms in the user's area, as the import reads them (`channel` is informative:
    only `import` rows can be corrected)."""
    if kind == "trust":
        trust = TrustResponse.objects.for_user(user).select_related("village").order_by("id")
        for r in trust.iterator():
            yield [
                r.pk, r.village.code, r.answered_on,
                *(getattr(r, q) for q in TRUST_LIKERT), *(int(getattr(r, q)) for q in TRUST_YESNO),
                r.channel,
            ]  # fmt: skip
        return
    ikm = IkmResponse.objects.for_user(user).select_related("village", "unit").order_by("id")
    for i in ikm.iterator():
        yield [
            i.pk, i.village.code, i.unit.code, i.answered_on,
            *(getattr(i, c) for c in IKM_ELEMENTS), i.service,
            *(getattr(i, f) for f in IKM_OPTIONAL[1:]), i.channel,
        ]  # fmt: skip


class SurveySpec(roundtrip.Spec[Any]):
    column_of = {"village": "village_code", "unit": "unit_code"}

    def __init__(self, actor: Actor, kind: str) -> None:
        from jaga.accounts.access import scope_codes

        super().__init__(actor)
        if kind not in IMPORT_COLUMNS:
            raise DomainError("bad_kind", _("Choose the trust survey or the IKM survey."))
        self.kind = kind
        self.columns = IMPORT_COLUMNS[kind]
        self.model: type[Any] = TrustResponse if kind == "trust" else IkmResponse
        self.scopes = scope_codes(actor) if actor is not None else None
        self.villages: dict[str, Territory | None] = {}
        self.units = {u.code: u for u in PoliceUnit.objects.all()} if kind == "ikm" else {}

    def _in_scope(self, code: str) -> bool:
        from jaga.accounts.access import code_in_scope

        return self.scopes is None or code_in_scope(code, self.scopes)

    def parse(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        code = row["village_code"]
        if code not in self.villages:
            self.villages[code] = Territory.objects.filter(code=code, level=Level.VILLAGE).first()
        village = self.villages[code]
        if village is None or not self._in_scope(village.code):
            raise DomainError(
                "bad_village",
                _("Unknown village code %(code)s, or outside your area.") % {"code": code},
            )
        data: dict[str, Any] = {"village": village, "answered_on": _import_date(row["answered_on"])}
        if self.kind == "trust":
            for q in TRUST_LIKERT:
                data[q] = _score(row[q], q, LIKERT_MIN, LIKERT_MAX)
            for q in TRUST_YESNO:
                data[q] = _yes_no(row[q], q)
            return data
        unit = self.units.get(row["unit_code"])
        if unit is None:
            raise DomainError(
                "bad_unit", _("Unknown service unit code %(code)s.") % {"code": row["unit_code"]}
            )
        data["unit"] = unit
        for i, c in enumerate(IKM_ELEMENTS, start=1):
            data[c] = _score(row[c], f"U{i}", IKM_MIN, IKM_MAX)
        data["service"] = row.get("service", "")[:60]
        for name, choices in PROFILE_CHOICES.items():
            value = row.get(name, "")
            if value and value not in choices.values:
                raise DomainError(
                    "bad_profile", _("Unknown value for %(field)s.") % {"field": name}
                )
            data[name] = value
        return data

    def existing(self, keys: list[int]) -> dict[int, Any]:
        found = self.model.objects.filter(pk__in=keys).select_related("village")
        return {r.pk: r for r in found if self._in_scope(r.village.code)}

    def label(self, data: dict[str, Any], obj: Any) -> str:
        village = data.get("village") or obj.village
        return f"{village.name} · {data.get('answered_on') or obj.answered_on}"

    def check(self, rows: list[tuple[int, dict[str, Any], Any]]) -> list[dict[str, Any]]:
        # A form is dated by its answer: a village ended by a pemekaran takes those answered
        # before its end (its history), not later ones.
        return EndedVillages().refused(rows, dated_by="answered_on")

    def create(self, data: dict[str, Any]) -> None:
        village, when = data.pop("village"), data.pop("answered_on")
        if self.kind == "trust":
            submit_trust_response(
                village=village, answers=data, channel=Channel.IMPORT, answered_on=when,
                actor=self.actor,
            )  # fmt: skip
            return
        unit, service = data.pop("unit"), data.pop("service")
        profile = {f: data.pop(f) for f in PROFILE_CHOICES}
        submit_ikm_response(
            village=village, unit=unit, scores=data, service=service, profile=profile,
            channel=Channel.IMPORT, answered_on=when, actor=self.actor,
        )  # fmt: skip

    def update(self, obj: Any, changes: dict[str, Any]) -> None:
        update_survey_response(obj, actor=self.actor, **changes)


def import_survey_forms(
    source: Any,
    *,
    kind: str,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    expect: str | None = None,
) -> roundtrip.Plan:
    """Paper forms typed into a file, or an edited export: rows with an id correct that form."""
    return roundtrip.run(source, SurveySpec(actor, kind), name=name, dry_run=dry_run, expect=expect)


def import_surveys(kind: str, source: Any, name: str, *, actor: Actor) -> int:
    """Import survey forms at once (all rows or none); returns how many were added or corrected.

    Every bad row is reported with its line; villages must lie in the importer's scope.
    """
    return import_survey_forms(source, kind=kind, actor=actor, name=name).writes
