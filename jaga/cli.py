"""The operators' command line: `jaga <command>` runs Jaga's management commands.

`jaga territory load --regency 35.72`, `jaga demo`, `jaga migrate`, `jaga runserver`, ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaga.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    try:
        execute_from_command_line(["jaga", *args])
    except Exception as exc:
        from jaga.core.middleware import BUSY_MESSAGE, database_busy

        if not database_busy(exc):
            raise
        # Another import held the SQLite database past the busy timeout: nothing was written.
        sys.stderr.write(f"{BUSY_MESSAGE}\n")
        sys.exit(3)


if __name__ == "__main__":
    main()
