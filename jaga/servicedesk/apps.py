from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "jaga.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from jaga.servicedesk import glance, rollup_sources  # noqa: F401 - register the hooks
        from jaga.servicedesk.services import announce  # noqa: F401 - the worker's drain
