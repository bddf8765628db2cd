from __future__ import annotations

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "jaga.partners"
    label = "partners"
