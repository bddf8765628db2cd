from __future__ import annotations

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "jaga.servicedesk"
    label = "servicedesk"

    def ready(self) -> None:
        from jaga.servicedesk import glance, rollup_sources  # noqa: F401 - register the hooks
