from __future__ import annotations

from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "jaga.fieldwork"
    label = "fieldwork"
