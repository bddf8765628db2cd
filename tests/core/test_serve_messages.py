"""`jaga serve` speaks the user's language like every command (Indonesian by default): its lines
go through gettext. The real processes are tested in test_serve (heavy); here the children are a
sleeping interpreter and the signal is simulated."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jaga.core.management.commands import serve


def _run(monkeypatch: pytest.MonkeyPatch, watched: Any) -> list[str]:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(
        serve.Command, "children", lambda self, options: [serve.Child("web", sleeper)]
    )
    monkeypatch.setattr(serve.Command, "watch", lambda self, children, stopping: watched)
    out = io.StringIO()
    call_command("serve", stdout=out)
    return out.getvalue().splitlines()


def test_serve_speaks_indonesian_by_default_and_english_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _run(monkeypatch, None)  # SIGTERM: everything stops cleanly
    assert lines[0].startswith("jaga serve: web dijalankan, pid ")
    assert lines[-1] == "jaga serve: berhenti."
    with pytest.raises(CommandError, match=r"web berhenti \(kode keluar 3\); semua dihentikan"):
        _run(monkeypatch, ("web", 3))
    with pytest.raises(CommandError, match="--workers minimal 1."):
        call_command("serve", "--workers", "0")
    with translation.override("en"):
        lines = _run(monkeypatch, None)
        assert lines[0].startswith("jaga serve: web started, pid ")
        assert lines[-1] == "jaga serve: stopped."
