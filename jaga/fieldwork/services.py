"""Every state change of field work: visits, early detections, problem cases, operations.

Each function runs in one transaction, locks what it changes, writes the audit row and updates the
monthly roll-ups (`visits.count`, `fieldwork.early_detections`, `fieldwork.problem_cases`,
`operations.count` and `operations.findings`, which the Anev report reads). Records sent with a
client idempotency key are created once: a resend returns the first record.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaga.accounts.access import code_in_scope, has_role, scope_codes
from jaga.accounts.models import Role
from jaga.analytics.rollups import bump_metric
from jaga.core.audit import log_action, snapshot
from jaga.core.errors import DomainError
from jaga.core.images import clean_file, clean_image
from jaga.core.types import Actor
from jaga.fieldwork import metrics as fieldwork_metrics
from jaga.fieldwork.models import (
    CaseKind,
    CaseStage,
    DetectionStatus,
    EarlyDetection,
    Finding,
    FollowUp,
    Operation,
    ProblemCase,
    Target,
    Visit,
)
from jaga.incidents.models import Category, Incident, Source
from jaga.incidents.services import check_point, record_incident
from jaga.programs.models import Programme
from jaga.territory.models import Level, NormSetting, Territory
from jaga.territory.pemekaran import refuse_ended

FIELD_ROLES = (Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.ADMIN)
CASE_ROLES = (Role.BHABIN, Role.POLSEK, Role.SATBINMAS, Role.ADMIN)  # police records
OPERATION_ROLES = (Role.POLSEK, Role.SATBINMAS, Role.ADMIN)

# Thresholds are data an admin edits (territory.NormSetting); these are the defaults.
DEFAULT_NORMS = {
    "visit_gap_days": 30,  # a village not visited for longer is flagged
    "case_assessment_window_days": 90,  # before/after window of a problem case's assessment
}

M = TypeVar("M", bound=models.Model)


class NotAllowed(DomainError):
    status = 403


def norm(key: str) -> int:
    value = NormSetting.objects.filter(key=key).values_list("value", flat=True).first()
    return int(value) if value is not None else DEFAULT_NORMS[key]


def _check_actor(actor: Actor, village: Territory, roles: tuple[str, ...]) -> None:
    if village.level != Level.VILLAGE:
        raise DomainError("not_a_village", _("Choose a village (desa / kelurahan)."))
    if actor is None or not has_role(actor, *roles):
        raise NotAllowed("forbidden", _("Your role may not record this."))
    if not code_in_scope(village.code, scope_codes(actor)):
        raise NotAllowed(
            "village_out_of_scope",
            _("%(village)s is outside your area.") % {"village": village.display_name},
        )


def _not_future_day(day: datetime.date) -> None:
    if day > timezone.localdate():
        raise DomainError("future_date", _("The date cannot be in the future."))


def _not_future_moment(moment: datetime.datetime) -> None:
    if moment > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError("future_date", _("The time cannot be in the future."))


def _resent(model: type[M], client_key: uuid.UUID | None, actor: Actor) -> M | None:
    """The record an earlier send with this key created, if any. A key is only ever resent by
    the account that first sent it: another account's key is refused, never answered with the
    first account's record."""
    if client_key is None:
        return None
    found = model._default_manager.filter(client_key=client_key).first()
    if found is not None and found.created_by_id not in (None, getattr(actor, "pk", None)):  # type: ignore[attr-defined]
        raise DomainError(
            "key_taken", _("This entry was already sent from another account; it is not recorded.")
        )
    return found


def _codes(village: Territory) -> dict[str, str]:
    return {"regency_code": village.regency_code, "district_code": village.district_code}


def _create_once(model: type[M], client_key: uuid.UUID | None, **fields: Any) -> tuple[M, bool]:
    """Create, or return the record a concurrent resend with the same key created first."""
    try:
        with transaction.atomic():
            return model._default_manager.create(client_key=client_key, **fields), True
    except IntegrityError:
        if client_key is None:
            raise
        return _resent(model, client_key, fields.get("created_by")) or model._default_manager.get(
            client_key=client_key
        ), False


# ----------------------------------------------------------------------------------- visits


def record_visit(
    *,
    actor: Actor,
    village: Territory,
    visited_on: datetime.date,
    household_head: str,
    topic: str,
    members_met: int = 1,
    address: str = "",
    concerns: str = "",
    hopes: str = "",
    photo: Any = None,
    latitude: float | None = None,
    longitude: float | None = None,
    officer: Any = None,
    client_key: uuid.UUID | None = None,
) -> Visit:
    """Record a sambang visit to a household (by `officer`, the actor by default)."""
    again = _resent(Visit, client_key, actor)
    if again is not None:
        return again
    _check_actor(actor, village, FIELD_ROLES)
    _not_future_day(visited_on)
    refuse_ended(village, visited_on)
    check_point(latitude, longitude)
    if not household_head.strip():
        raise DomainError("household_head_required", _("Give the head of household's name."))
    if not (concerns.strip() or hopes.strip()):
        raise DomainError(
            "nothing_heard", _("Write down at least one concern or hope the household shared.")
        )
    if members_met < 1:
        raise DomainError("members_met", _("At least one household member was met."))
    if photo:
        # Re-encoded before anything is written: no GPS position or camera tag survives.
        photo = clean_image(photo).content
    with transaction.atomic():
        visit, new = _create_once(
            Visit,
            client_key,
            officer=officer or actor,
            village=village,
            visited_on=visited_on,
            household_head=household_head.strip(),
            members_met=members_met,
            address=address,
            topic=topic,
            concerns=concerns.strip(),
            hopes=hopes.strip(),
            photo=photo or "",
            latitude=latitude,
            longitude=longitude,
            created_by=actor,
            **_codes(village),
        )
        if new:
            bump_metric(village, visited_on, fieldwork_metrics.VISITS_COUNT, 1)
            log_action(
                "fieldwork.visit_recorded",
                visit,
                actor=actor,
                after=snapshot(visit),
                territory_code=village.code,
            )
    return visit


# --------------------------------------------------------------------------- early detection

DETECTION_TRANSITIONS: dict[str, set[str]] = {
    DetectionStatus.OPEN: {DetectionStatus.CASE, DetectionStatus.INCIDENT, DetectionStatus.CLOSED},
    DetectionStatus.CASE: {DetectionStatus.INCIDENT, DetectionStatus.CLOSED},
    DetectionStatus.INCIDENT: {DetectionStatus.CLOSED},
    DetectionStatus.CLOSED: set(),
}


def record_detection(
    *,
    actor: Actor,
    village: Territory,
    observed_at: datetime.datetime,
    information: str,
    source_kind: str,
    urgency: str,
    frequency: str,
    topic: str,
    category: Category | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    client_key: uuid.UUID | None = None,
) -> EarlyDetection:
    """Record an early detection (deteksi dini)."""
    again = _resent(EarlyDetection, client_key, actor)
    if again is not None:
        return again
    _check_actor(actor, village, FIELD_ROLES)
    _not_future_moment(observed_at)
    refuse_ended(village, observed_at)
    check_point(latitude, longitude)
    if len(information.strip()) < 10:
        raise DomainError(
            "information_too_short", _("Describe the information in at least 10 characters.")
        )
    with transaction.atomic():
        detection, new = _create_once(
            EarlyDetection,
            client_key,
            officer=actor,
            village=village,
            observed_at=observed_at,
            information=information.strip(),
            source_kind=source_kind,
            urgency=urgency,
            frequency=frequency,
            topic=topic,
            category=category,
            latitude=latitude,
            longitude=longitude,
            created_by=actor,
            **_codes(village),
        )
        if new:
            bump_metric(village, observed_at, fieldwork_metrics.EARLY_DETECTIONS, 1)
            log_action(
                "fieldwork.detection_recorded",
                detection,
                actor=actor,
                after=snapshot(detection),
                territory_code=village.code,
            )
    return detection


def _unknown_target(to: str, choices: type[models.TextChoices]) -> DomainError:
    return DomainError(
        "unknown_target",
        _("“%(to)s” is not one of: %(choices)s.")
        % {"to": to[:40], "choices": ", ".join(str(c) for c in choices.values)},
    )


def _move_detection(detection: EarlyDetection, to: str) -> None:
    if to not in DetectionStatus.values:
        raise _unknown_target(to, DetectionStatus)
    if to not in DETECTION_TRANSITIONS[detection.status]:
        raise DomainError(
            "illegal_transition",
            _("An early detection that is “%(from)s” cannot become “%(to)s”.")
            % {"from": detection.get_status_display(), "to": DetectionStatus(to).label},
        )


def escalate_detection_to_incident(
    detection: EarlyDetection,
    *,
    actor: Actor,
    category: Category | None = None,
    occurred_at: datetime.datetime | None = None,
    severity: int = 2,
) -> Incident:
    """The information proved true: record it in the register (source "field")."""
    _check_actor(actor, detection.village, FIELD_ROLES)
    with transaction.atomic():
        locked = EarlyDetection.objects.select_for_update().get(pk=detection.pk)
        _move_detection(locked, DetectionStatus.INCIDENT)
        category = category or locked.category
        if category is None:
            raise DomainError("category_required", _("Choose the incident's category."))
        incident = record_incident(
            category=category,
            village=locked.village,
            occurred_at=occurred_at or locked.observed_at,
            source=Source.FIELD,
            source_ref=f"ed-{locked.pk}",
            actor=actor,
            latitude=locked.latitude,
            longitude=locked.longitude,
            severity=severity,
            description=locked.information,
        )
        before = snapshot(locked, ["status", "incident", "category"])
        locked.status = DetectionStatus.INCIDENT
        locked.incident = incident
        locked.category = category
        locked.save(update_fields=["status", "incident", "category"])
        log_action(
            "fieldwork.detection_escalated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, ["status", "incident", "category"]),
            territory_code=locked.village.code,
        )
    detection.refresh_from_db()
    return incident


def escalate_detection_to_case(
    detection: EarlyDetection, *, actor: Actor, title: str, kind: str = CaseKind.NON_DISPUTE
) -> ProblemCase:
    """The information shows a recurring problem: open a problem-solving case from it."""
    with transaction.atomic():
        locked = EarlyDetection.objects.select_for_update().get(pk=detection.pk)
        _move_detection(locked, DetectionStatus.CASE)
        case = open_case(
            actor=actor,
            village=locked.village,
            title=title,
            kind=kind,
            opened_on=timezone.localdate(),
            problem=locked.information,
            categories=[locked.category] if locked.category else [],
        )
        locked.status = DetectionStatus.CASE
        locked.problem_case = case
        locked.save(update_fields=["status", "problem_case"])
        log_action(
            "fieldwork.detection_escalated",
            locked,
            actor=actor,
            before={"status": DetectionStatus.OPEN},
            after={"status": locked.status, "problem_case": case.pk},
            territory_code=locked.village.code,
        )
    detection.refresh_from_db()
    return case


def close_detection(detection: EarlyDetection, *, actor: Actor) -> EarlyDetection:
    _check_actor(actor, detection.village, FIELD_ROLES)
    with transaction.atomic():
        locked = EarlyDetection.objects.select_for_update().get(pk=detection.pk)
        _move_detection(locked, DetectionStatus.CLOSED)
        before = locked.status
        locked.status = DetectionStatus.CLOSED
        locked.save(update_fields=["status"])
        log_action(
            "fieldwork.detection_closed",
            locked,
            actor=actor,
            before={"status": before},
            after={"status": locked.status},
            territory_code=locked.village.code,
        )
    return locked


# ------------------------------------------------------------------------------ problem cases

CASE_TRANSITIONS: dict[str, set[str]] = {
    CaseStage.SCANNING: {CaseStage.ANALYSIS, CaseStage.DROPPED},
    CaseStage.ANALYSIS: {CaseStage.RESPONSE, CaseStage.SCANNING, CaseStage.DROPPED},
    CaseStage.RESPONSE: {CaseStage.ASSESSMENT, CaseStage.ANALYSIS, CaseStage.DROPPED},
    CaseStage.ASSESSMENT: {CaseStage.CLOSED, CaseStage.RESPONSE},
    CaseStage.CLOSED: set(),
    CaseStage.DROPPED: set(),
}

# What each stage lets you write (fields of the stage being worked on).
STAGE_FIELDS: dict[str, list[str]] = {
    CaseStage.SCANNING: ["title", "problem", "party_one", "party_two"],
    CaseStage.ANALYSIS: ["causes", "people_involved", "places_involved"],
    CaseStage.RESPONSE: [
        "actions",
        "responsible_partners",
        "response_started_on",
        "mediated_on",
        "agreement",
        "agreement_document",
        "outcome",
    ],
    CaseStage.ASSESSMENT: ["plan_carried_out", "assessment", "outcome"],
}


def open_case(
    *,
    actor: Actor,
    village: Territory,
    title: str,
    kind: str,
    opened_on: datetime.date,
    problem: str,
    categories: Iterable[Category] = (),
    villages: Iterable[Territory] = (),
    incidents: Iterable[Incident] = (),
    party_one: str = "",
    party_two: str = "",
    client_key: uuid.UUID | None = None,
) -> ProblemCase:
    """Open a problem-solving case at the scanning stage (a dispute needs both parties)."""
    again = _resent(ProblemCase, client_key, actor)
    if again is not None:
        return again
    _check_actor(actor, village, CASE_ROLES)
    _not_future_day(opened_on)
    villages = list(villages)
    for v in [village, *villages]:
        refuse_ended(v, opened_on)
    if not title.strip() or not problem.strip():
        raise DomainError("problem_required", _("Give the case a title and describe the problem."))
    if kind == CaseKind.DISPUTE and not (party_one.strip() and party_two.strip()):
        raise DomainError("parties_required", _("A dispute case records both parties."))
    others = [v for v in villages if v.pk != village.pk]
    scopes = scope_codes(actor)
    for other in others:
        if other.level != Level.VILLAGE or not code_in_scope(other.code, scopes):
            raise NotAllowed(
                "village_out_of_scope",
                _("%(village)s is outside your area.") % {"village": other.display_name},
            )
    incidents = list(incidents)
    if any(not code_in_scope(i.village.code, scopes) for i in incidents):
        raise NotAllowed("incident_out_of_scope", _("An incident lies outside your area."))
    with transaction.atomic():
        case, new = _create_once(
            ProblemCase,
            client_key,
            officer=actor,
            village=village,
            title=title.strip(),
            kind=kind,
            opened_on=opened_on,
            problem=problem.strip(),
            party_one=party_one.strip(),
            party_two=party_two.strip(),
            created_by=actor,
            **_codes(village),
        )
        if new:
            case.villages.set([village, *others])
            case.categories.set(list(categories))
            case.incidents.set(incidents)
            bump_metric(village, opened_on, fieldwork_metrics.PROBLEM_CASES, 1)
            log_action(
                "fieldwork.case_opened",
                case,
                actor=actor,
                after=snapshot(case),
                territory_code=village.code,
            )
    return case


def update_case(case: ProblemCase, *, actor: Actor, **fields: Any) -> ProblemCase:
    """Write the current stage's fields (e.g. causes during analysis)."""
    _check_actor(actor, case.village, CASE_ROLES)
    if not fields:
        return case
    document = fields.get("agreement_document")
    if document and not isinstance(document, str):
        # A scanned agreement is often a phone photo: re-encoded without its metadata.
        fields["agreement_document"] = clean_file(document)[0]
    with transaction.atomic():
        locked = ProblemCase.objects.select_for_update().get(pk=case.pk)
        allowed = set(STAGE_FIELDS.get(locked.stage, []))
        wrong = sorted(set(fields) - allowed)
        if wrong:
            raise DomainError(
                "field_not_in_stage",
                _("At the “%(stage)s” stage these cannot be changed: %(fields)s.")
                % {"stage": locked.get_stage_display(), "fields": ", ".join(wrong)},
            )
        if "response_started_on" in fields and fields["response_started_on"]:
            _not_future_day(fields["response_started_on"])
        before = snapshot(locked, list(fields))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        log_action(
            "fieldwork.case_updated",
            locked,
            actor=actor,
            before=before,
            after=snapshot(locked, list(fields)),
            territory_code=locked.village.code,
        )
    return locked


def _stage_ready(case: ProblemCase, to: str) -> None:
    missing: list[str] = []
    if to == CaseStage.RESPONSE and not case.causes.strip():
        missing.append(_("the causes"))
    if to == CaseStage.ASSESSMENT:
        if not case.actions.strip():
            missing.append(_("the actions"))
        if case.response_started_on is None:
            missing.append(_("the date the response started"))
    if to == CaseStage.CLOSED:
        if case.plan_carried_out is None:
            missing.append(_("whether the plan was carried out"))
        if case.kind == CaseKind.DISPUTE and not case.outcome:
            missing.append(_("the outcome of the dispute"))
    if missing:
        raise DomainError(
            "stage_incomplete",
            _("Before moving on, record %(missing)s.") % {"missing": ", ".join(missing)},
        )


def move_case(case: ProblemCase, to: str, *, actor: Actor) -> ProblemCase:
    """Move a case to another SARA stage along the transition table."""
    _check_actor(actor, case.village, CASE_ROLES)
    with transaction.atomic():
        locked = ProblemCase.objects.select_for_update().get(pk=case.pk)
        if to not in CaseStage.values:
            raise _unknown_target(to, CaseStage)
        if to not in CASE_TRANSITIONS[locked.stage]:
            raise DomainError(
                "illegal_transition",
                _("A case at the “%(from)s” stage cannot move to “%(to)s”.")
                % {"from": locked.get_stage_display(), "to": CaseStage(to).label},
            )
        _stage_ready(locked, to)
        before = locked.stage
        locked.stage = to
        fields = ["stage"]
        if to == CaseStage.CLOSED:
            locked.closed_on = timezone.localdate()
            fields.append("closed_on")
        locked.save(update_fields=fields)
        log_action(
            "fieldwork.case_moved",
            locked,
            actor=actor,
            before={"stage": before},
            after={"stage": to},
            territory_code=locked.village.code,
        )
    return locked


# ------------------------------------------------------------------------------- operations


def _check_operation(
    started_at: datetime.datetime,
    ended_at: datetime.datetime | None,
    latitude: float | None,
    longitude: float | None,
    team_size: int,
    place: str,
) -> None:
    """Refuse an operation whose time, place or team cannot be right."""
    _not_future_moment(started_at)
    if ended_at is not None and ended_at < started_at:
        raise DomainError("ended_before_start", _("The operation cannot end before it starts."))
    check_point(latitude, longitude)
    if team_size < 1:
        raise DomainError("team_size", _("The team has at least one member."))
    if not place.strip():
        raise DomainError("place_required", _("Name the place of the operation."))


def _finding_rows(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings checked and normalised; a finding of quantity zero is dropped."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in findings:
        target, quantity = item.get("target", ""), Decimal(str(item.get("quantity", 0)))
        if target not in Target.values:
            raise DomainError("bad_target", _("Unknown target “%(t)s”.") % {"t": target})
        if target in seen:
            raise DomainError(
                "target_twice", _("Give each target once (%(t)s).") % {"t": Target(target).label}
            )
        seen.add(target)
        if quantity < 0:
            raise DomainError("bad_quantity", _("A quantity cannot be negative."))
        if quantity == 0:
            continue
        follow_up = item.get("follow_up", "")
        if follow_up not in FollowUp.values:
            raise DomainError(
                "follow_up_required",
                _("Choose the follow-up for %(t)s.") % {"t": Target(target).label},
            )
        rows.append({**item, "target": target, "quantity": quantity, "follow_up": follow_up})
    return rows


def _record_findings(operation: Operation, rows: list[dict[str, Any]], *, actor: Actor) -> None:
    """Turn each finding of a new operation into an incident and count it."""
    village, started_at = operation.village, operation.started_at
    categories = {c.code: c for c in Category.objects.filter(code__in=[r["target"] for r in rows])}
    for row in rows:
        category = categories[row["target"]]
        incident = record_incident(
            category=category,
            village=village,
            occurred_at=started_at,
            source=Source.OPERATION,
            source_ref=f"op-{operation.pk}-{row['target']}",
            actor=actor,
            latitude=operation.latitude,
            longitude=operation.longitude,
            description=_("%(programme)s raid at %(place)s: %(target)s %(quantity)s")
            % {
                "programme": operation.programme.code,
                "place": operation.place,
                "target": Target(row["target"]).label,
                "quantity": row["quantity"],
            },
        )
        Finding.objects.create(
            operation=operation,
            target=row["target"],
            quantity=row["quantity"],
            follow_up=row["follow_up"],
            note=row.get("note", ""),
            incident=incident,
        )
        bump_metric(
            village,
            started_at,
            fieldwork_metrics.FINDINGS,
            int(row["quantity"].to_integral_value()),
            key=row["target"],
        )


def record_operation(
    *,
    actor: Actor,
    programme: Programme,
    village: Territory,
    started_at: datetime.datetime,
    place: str,
    team_size: int,
    findings: Iterable[dict[str, Any]] = (),
    ended_at: datetime.datetime | None = None,
    vehicles_checked: int = 0,
    people_checked: int = 0,
    note: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    leader: Any = None,
    client_key: uuid.UUID | None = None,
) -> Operation:
    """Record a raid and its findings; each finding becomes an incident (source "operation"),
    or is linked to the desk report it confirms so that the disturbance is counted once."""
    again = _resent(Operation, client_key, actor)
    if again is not None:
        return again
    _check_actor(actor, village, OPERATION_ROLES)
    _check_operation(started_at, ended_at, latitude, longitude, team_size, place)
    refuse_ended(village, started_at)
    rows = _finding_rows(findings)
    with transaction.atomic():
        operation, new = _create_once(
            Operation,
            client_key,
            programme=programme,
            leader=leader or actor,
            village=village,
            started_at=started_at,
            ended_at=ended_at,
            place=place.strip(),
            team_size=team_size,
            vehicles_checked=vehicles_checked,
            people_checked=people_checked,
            note=note,
            latitude=latitude,
            longitude=longitude,
            created_by=actor,
            **_codes(village),
        )
        if not new:
            return operation
        bump_metric(village, started_at, fieldwork_metrics.OPERATIONS_COUNT, 1, key=programme.code)
        _record_findings(operation, rows, actor=actor)
        log_action(
            "fieldwork.operation_recorded",
            operation,
            actor=actor,
            after={**snapshot(operation), "findings": rows},
            territory_code=village.code,
        )
    return operation
