"""`make bench` rewrites the sections it measures and keeps the others (the standalone
benchmarks' figures, measured on their own)."""

from __future__ import annotations

from pathlib import Path

from bench.__main__ import keep_other_sections


def test_a_run_replaces_its_sections_and_keeps_the_rest(tmp_path: Path) -> None:
    old = tmp_path / "BENCHMARKS.md"
    old.write_text(
        "# Jaga benchmarks\n\n## Machine\n\nold machine\n\n## Throughput\n\n| 52/s |\n\n"
        "## Analytics\n\nold figures\n"
    )
    new = "# Jaga benchmarks\n\n## Machine\n\nnew machine\n\n## Analytics\n\nnew figures\n"
    text = keep_other_sections(new, old)
    assert text.startswith(new.rstrip("\n"))
    assert "old machine" not in text and "old figures" not in text
    assert "## Throughput\n\n| 52/s |" in text
    assert text.count("## Analytics") == 1


def test_without_a_file_the_run_is_the_file(tmp_path: Path) -> None:
    assert keep_other_sections("# Jaga\n", tmp_path / "none.md") == "# Jaga\n"
