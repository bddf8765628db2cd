from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "jaga.programs"
    label = "programs"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        from jaga.programs import rollup_sources  # noqa: F401 - registers the roll-up rebuilder
