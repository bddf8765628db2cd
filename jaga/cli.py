"""The operators' command line: `jaga <command>` runs Jaga's management commands.

`jaga territory load --regency 35.03`, `jaga demo`, `jaga migrate`, `jaga runserver`, ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["jaga", *args])


if __name__ == "__main__":
    main()
