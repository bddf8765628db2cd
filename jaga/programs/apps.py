from __future__ import annotations

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "jaga.programs"
    label = "programs"
