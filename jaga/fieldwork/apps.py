from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "jaga.fieldwork"
    label = "fieldwork"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from jaga.fieldwork import rollup_sources  # noqa: F401 - registers the roll-up rebuilder
