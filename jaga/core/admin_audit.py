"""Every write through the Django admin leaves an audit row.

`AuditedModelAdmin` wraps the admin's save and delete hooks: an add, a change (with the row as it
was in the database before and as it is after, many-to-many fields included), a delete (with the
rows the delete cascaded to), the bulk "delete selected" action and every inline row that was added,
changed or deleted. All of it happens inside the transaction the admin view already opened, so the
audit row and the change commit or roll back together.

Jaga's own admins subclass it; `audit_every_admin()` (run when the apps are ready) wraps whatever
other registered admin does not, such as those of Django's auth app or of a package added later.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import admin
from django.db import models, router, transaction
from django.db.models.deletion import Collector
from django.forms import ModelForm
from django.http import HttpRequest

from jaga.core.audit import append, snapshot
from jaga.core.models import AuditLog

NOTE = "Django admin"


def admin_snapshot(obj: models.Model | None) -> dict[str, Any] | None:
    """The saved row (concrete fields, personal data redacted) plus its many-to-many links."""
    if obj is None or obj.pk is None:
        return None
    fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return None
    data = snapshot(fresh)
    for field in fresh._meta.many_to_many:
        data[field.name] = sorted(getattr(fresh, field.attname).values_list("pk", flat=True))
    return data


def territory_of(obj: models.Model) -> str:
    """The territory an audited object belongs to, when it says so; "" otherwise."""
    if obj._meta.label_lower == "territory.territory":
        return str(getattr(obj, "code", ""))
    path = getattr(obj, "scope_field", None)
    if path is None:
        for name in ("territory", "village"):
            if any(f.name == name for f in obj._meta.concrete_fields):
                path = f"{name}__code"
                break
    if path is None:
        return ""
    value: Any = obj
    for part in str(path).split("__"):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return str(value)


def _write(
    request: HttpRequest,
    action: str,
    model: type[models.Model],
    pk: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    territory_code: str = "",
    note: str = NOTE,
) -> AuditLog:
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    return append(
        AuditLog(
            actor=actor,
            action=action,
            object_type=model._meta.label_lower,
            object_id=str(pk),
            territory_code=territory_code,
            before=before,
            after=after,
            note=note,
        )
    )


def _cascade(objs: list[models.Model]) -> dict[str, int]:
    """What deleting `objs` takes with it, by model (the admin already refused PROTECTed ones)."""
    if not objs:
        return {}
    collector = Collector(using=router.db_for_write(type(objs[0])), origin=objs[0])
    collector.collect(objs)
    counts: Counter[str] = Counter()
    for model, instances in collector.data.items():
        counts[model._meta.label_lower] += len(instances)
    for qs in collector.fast_deletes:
        counts[qs.model._meta.label_lower] += qs.count()
    return dict(sorted(counts.items()))


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose every add, change and delete writes an audit row (`admin.add`,
    `admin.change`, `admin.delete`), with before and after snapshots."""

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        obj = super().save_form(request, form, change)
        # The form has already copied the new values onto the instance; the database still
        # holds the old ones.
        obj._jaga_audit_before = admin_snapshot(obj) if change else None
        return obj

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(obj, "_jaga_audit_before", None)
        after = admin_snapshot(obj)
        _write(
            request,
            "admin.change" if change else "admin.add",
            type(obj),
            obj.pk,
            before=before,
            after=after,
            territory_code=territory_of(obj),
            note=NOTE if before != after or not change else f"{NOTE}: no fields changed",
        )

    def save_formset(
        self, request: HttpRequest, form: ModelForm[Any], formset: Any, change: bool
    ) -> None:
        deleted = {id(f.instance) for f in getattr(formset, "deleted_forms", [])}
        befores: dict[int, tuple[Any, dict[str, Any] | None]] = {}
        for f in formset.initial_forms:
            if f.instance.pk is not None and (f.has_changed() or id(f.instance) in deleted):
                befores[id(f.instance)] = (f.instance.pk, admin_snapshot(f.instance))
        super().save_formset(request, form, formset, change)
        model = formset.model
        for obj in getattr(formset, "new_objects", []):
            _write(
                request, "admin.add", model, obj.pk, after=admin_snapshot(obj),
                territory_code=territory_of(obj),
            )  # fmt: skip
        for obj, _fields in getattr(formset, "changed_objects", []):
            _write(
                request, "admin.change", model, obj.pk,
                before=befores.get(id(obj), (None, None))[1], after=admin_snapshot(obj),
                territory_code=territory_of(obj),
            )  # fmt: skip
        for obj in getattr(formset, "deleted_objects", []):
            pk, before = befores.get(id(obj), (obj.pk, None))
            _write(
                request, "admin.delete", model, pk, before=before,
                territory_code=territory_of(obj),
            )  # fmt: skip

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        pk, before, territory = obj.pk, admin_snapshot(obj), territory_of(obj)
        cascade = _cascade([obj])
        super().delete_model(request, obj)
        _write(
            request, "admin.delete", type(obj), pk, before=before, territory_code=territory,
            note=f"{NOTE}; deleted with it: {cascade}",
        )  # fmt: skip

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The "delete selected" action runs outside the admin's view transaction.
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            objs = list(queryset)
            rows = [(o.pk, admin_snapshot(o), territory_of(o)) for o in objs]
            cascade = _cascade(objs)
            super().delete_queryset(request, queryset)
            for pk, before, territory in rows:
                _write(
                    request, "admin.delete", queryset.model, pk, before=before,
                    territory_code=territory,
                    note=f"{NOTE}: bulk delete of {len(rows)}; deleted with them: {cascade}",
                )  # fmt: skip


def audit_every_admin(site: admin.AdminSite | None = None) -> None:
    """Wrap every registered ModelAdmin that is not yet an AuditedModelAdmin."""
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedModelAdmin):
            continue
        cls = type(model_admin)
        audited = type(f"Audited{cls.__name__}", (AuditedModelAdmin, cls), {"__module__": __name__})
        site.unregister(model)
        site.register(model, audited)


__all__ = ["AuditedModelAdmin", "admin_snapshot", "audit_every_admin"]
