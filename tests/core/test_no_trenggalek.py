"""Jaga serves every Polres: nothing of the demo's regency (Trenggalek, 35.03) is written into the
code. Only the demo modules (`jaga/<app>/demo.py`) and the vendored national territory list may
name it; tests may use it as data."""

from __future__ import annotations

import re
from pathlib import Path

import jaga

ROOT = Path(jaga.__file__).resolve().parent
PATTERN = re.compile(r"35\.03|(?<!\d)3503(?!\d)|trenggalek", re.IGNORECASE)
ALLOWED_DIRS = [ROOT / "territory" / "data"]
ALLOWED_FILES = [ROOT / "core" / "management" / "commands" / "demo.py"]  # `jaga demo` itself
BINARY = {".mo", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".gz", ".pdf"}


def _allowed(path: Path) -> bool:
    if (path.name == "demo.py" and path.parent.parent == ROOT) or path in ALLOWED_FILES:
        return True
    return any(path.is_relative_to(d) for d in ALLOWED_DIRS)


def occurrences(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in BINARY or "__pycache__" in path.parts:
            continue
        if _allowed(path):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if PATTERN.search(line):
                found.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()[:100]}")
    return found


def test_nothing_of_trenggalek_is_written_into_the_code() -> None:
    assert occurrences() == []


def test_the_scan_finds_a_planted_mention(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text('DEFAULT = "35.03"\n')
    (tmp_path / "page.html").write_text("<p>Polres TRENGGALEK</p>\n")
    (tmp_path / "ok.py").write_text("CODE = 13503  # a number that merely contains the digits\n")
    (tmp_path / "demo.py").write_text('REGENCY = "35.03"\n')  # not jaga/<app>/demo.py
    assert [line.split(":", 1)[0] for line in occurrences(tmp_path)] == [
        f"{tmp_path.name}/demo.py",
        f"{tmp_path.name}/page.html",
        f"{tmp_path.name}/views.py",
    ]
