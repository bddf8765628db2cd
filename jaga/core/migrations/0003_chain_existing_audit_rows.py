"""Hash the audit rows written before the chain existed, in id order.

The canonical form is copied from `jaga.core.audit.canonical` (data migrations import no app
code); the two must stay identical.
"""

import datetime
import hashlib
import json

from django.db import migrations


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _hash(entry):
    at = entry.at
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    content = {
        "at": at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "territory_code": entry.territory_code,
        "before": _plain(entry.before),
        "after": _plain(entry.after),
        "note": entry.note,
        "prev_hash": entry.prev_hash,
    }
    data = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(data.encode()).hexdigest()


def chain(apps, schema_editor):
    AuditLog = apps.get_model("core", "AuditLog")
    db = schema_editor.connection.alias
    prev = ""
    pending = []
    for entry in AuditLog._base_manager.using(db).order_by("id").iterator(chunk_size=2000):
        entry.prev_hash = prev
        entry.row_hash = _hash(entry)
        prev = entry.row_hash
        pending.append(entry)
        if len(pending) >= 2000:
            AuditLog._base_manager.using(db).bulk_update(pending, ["prev_hash", "row_hash"])
            pending = []
    if pending:
        AuditLog._base_manager.using(db).bulk_update(pending, ["prev_hash", "row_hash"])


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_hash_chain")]

    operations = [migrations.RunPython(chain, migrations.RunPython.noop)]
