"""`jaga db_worker`: django_tasks_db's task worker, and beside it the outbox's drains.

The same command, options and task loop as django_tasks_db's `db_worker` (this one takes its
place: `jaga.core` comes first in INSTALLED_APPS). In a thread beside the loop it runs the drains
of rows that are their own outbox (`jaga.core.outbox.drain_forever`: every public report's
announcement to the officers of its village), looking every `--interval` seconds when nothing
waits. With `--batch` it drains them, runs the queued tasks and drains again, then exits.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from jaga.core import outbox


class Command(db_worker.Command):
    help = "Run the database task worker and the outbox's drains (new reports to announce)."

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"]:
            outbox.drain_all()
            super().handle(*args, **options)
            outbox.drain_all()
            return
        if options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The reloader's watching process: the worker and its drains run in its child.
            super().handle(*args, **options)
            return
        stop = threading.Event()
        drains = threading.Thread(
            target=outbox.drain_forever,
            args=(stop, max(options["interval"], 0.05)),
            name="outbox-drains",
            daemon=True,  # a worker stopped mid-batch rolls it back: the rows stay marked
        )
        drains.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            drains.join(timeout=5)
