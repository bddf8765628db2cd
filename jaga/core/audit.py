"""The append-only audit log: every service that changes data calls `log_action`."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from jaga.core.models import AuditLog

# Fields that hold personal data are logged as changed, never with their value.
REDACTED_FIELDS = {"password", "nik", "nik_hash", "phone", "email", "key_hash", "secret"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj`, JSON-ready, personal data redacted."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        name = field.attname
        value = getattr(obj, name)
        if field.name in REDACTED_FIELDS:
            data[field.name] = "***" if value else value
        elif isinstance(value, FieldFile):
            # An empty FieldFile raises ValueError on `.url`: read only its name.
            data[field.name] = value.name or ""
        else:
            data[field.name] = _jsonable(value)
    return data


def log_action(
    action: str,
    obj: models.Model,
    *,
    actor: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    territory_code: str = "",
    note: str = "",
) -> AuditLog:
    """Write one audit row. Call inside the service's transaction."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        territory_code=territory_code,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        note=note,
    )
