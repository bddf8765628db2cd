from __future__ import annotations

import importlib
import importlib.util
import random
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from jaga.core import demo as core_demo


class Command(BaseCommand):
    help = "Build the Trenggalek demo (fixed seed): territory, police, officers, demo users, ..."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2022)
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if core_demo.is_loaded():
            self.stdout.write("The demo is already loaded.")
        else:
            rng = random.Random(options["seed"])  # noqa: S311 - reproducible demo data, not security
            ctx: dict[str, Any] = {"rng": rng, "stdout": self.stdout, "seed": options["seed"]}
            with transaction.atomic():
                core_demo.build(ctx)
                for module in demo_modules():
                    self.stdout.write(f"  demo: {module.__name__} …")
                    module.build(ctx)
            self.stdout.write(self.style.SUCCESS("Demo loaded."))
        if not options["quiet_logins"]:
            self.stdout.write(core_demo.logins_text())


def demo_modules() -> list[Any]:
    """Apps add to the demo with `jaga.<app>.demo.build(ctx)`, in the order of `ORDER`."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if (
            config.name.startswith("jaga.")
            and config.name != "jaga.core"
            and importlib.util.find_spec(name) is not None
        ):
            found.append(importlib.import_module(name))
    return sorted(found, key=lambda m: getattr(m, "ORDER", 100))
