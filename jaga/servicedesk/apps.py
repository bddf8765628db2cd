from __future__ import annotations

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "jaga.servicedesk"
    label = "servicedesk"
