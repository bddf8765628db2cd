from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def on_request_closed(sender: Any, **kwargs: Any) -> None:
    """A desk report was closed: invite its reporter to the trust survey (once per report)."""
    from jaga.surveys.services import invite_after_close

    invite_after_close(
        ticket=str(kwargs.get("ticket") or ""),
        village=kwargs.get("village"),
        email=kwargs.get("email") or "",
        phone=kwargs.get("phone") or "",
    )


class SurveysConfig(AppConfig):
    name = "jaga.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from jaga.servicedesk.signals import request_closed
        from jaga.surveys import rollup_sources  # noqa: F401 - registers the roll-up rebuilder

        request_closed.connect(on_request_closed, dispatch_uid="surveys.invite_after_close")
