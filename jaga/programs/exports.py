from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from jaga.core.roundtrip import display
from jaga.core.types import Viewer
from jaga.programs.access import activities_for_user, invitations_for_user
from jaga.programs.models import Activity
from jaga.programs.services import ACTIVITY_EXPORT, INVITATION_EXPORT


def activity_rows(user: Viewer) -> tuple[list[str], Iterator[list[Any]]]:
    def rows() -> Iterator[list[Any]]:
        qs = (
            activities_for_user(user)
            .select_related("programme", "village", "area")
            .order_by("starts_at", "id")
        )
        for a in qs.iterator():
            # Times as the import reads them and the preview shows them: local (WIB) minutes.
            yield [
                a.pk, a.programme.code, a.kind, a.title, display(a.starts_at),
                display(a.ends_at), a.village.code, a.area.code, a.place,
                a.head_count, a.grace_minutes, a.outcome,
            ]  # fmt: skip

    return ACTIVITY_EXPORT, rows()


def invitation_rows(
    user: Viewer, activity: Activity | None = None
) -> tuple[list[str], Iterator[list[Any]]]:
    """The invitations the user sees (of one activity): `invitee` and `checked_in_at` are for
    reading; the import leaves them alone."""

    def rows() -> Iterator[list[Any]]:
        qs = invitations_for_user(user).select_related("person", "organisation")
        if activity is not None:
            qs = qs.filter(activity=activity)
        for i in qs.order_by("activity_id", "id").iterator():
            checked = (
                timezone.localtime(i.checked_in_at).strftime("%Y-%m-%d %H:%M")
                if i.checked_in_at
                else ""
            )
            yield [
                i.pk, i.activity_id, i.person_id or "", i.organisation_id or "", i.invitee_name,
                i.response, i.status, i.representative_name, i.note, checked,
            ]  # fmt: skip

    return INVITATION_EXPORT, rows()
