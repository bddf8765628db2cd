from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "jaga.partners"
    label = "partners"
    verbose_name = _("Partners")
