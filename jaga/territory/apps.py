from __future__ import annotations

from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "jaga.territory"
    label = "territory"
