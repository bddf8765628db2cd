from __future__ import annotations

from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "jaga.fieldwork"
    label = "fieldwork"

    def ready(self) -> None:
        from jaga.fieldwork import rollup_sources  # noqa: F401 - registers the roll-up rebuilder
