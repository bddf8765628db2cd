from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jaga.core"
    label = "core"

    def ready(self) -> None:
        # Sets Pillow's decompression-bomb limit before any form or view opens an image.
        from jaga.core import images  # noqa: F401
