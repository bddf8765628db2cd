from __future__ import annotations

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "jaga.programs"
    label = "programs"

    def ready(self) -> None:
        from jaga.programs import rollup_sources  # noqa: F401 - registers the roll-up rebuilder
