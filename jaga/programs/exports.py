from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jaga.programs.access import activities_for_user
from jaga.programs.services import ACTIVITY_EXPORT


def activity_rows(user: Any) -> tuple[list[str], Iterator[list[Any]]]:
    def rows() -> Iterator[list[Any]]:
        qs = (
            activities_for_user(user)
            .select_related("programme", "village", "area")
            .order_by("starts_at", "id")
        )
        for a in qs.iterator():
            yield [
                a.pk, a.programme.code, a.kind, a.title, a.starts_at.isoformat(),
                a.ends_at.isoformat() if a.ends_at else "", a.village.code, a.area.code, a.place,
                a.head_count, a.grace_minutes, a.outcome,
            ]  # fmt: skip

    return ACTIVITY_EXPORT, rows()
