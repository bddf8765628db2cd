"""A transactional test flushes the database, shared territory included: every module that has
one puts the shared data back (`_restore_after_flush`, or the browser and replica tests' own
restore), or the tests that run after it on the same worker find no territory."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
RESTORES = ("_restore_after_flush", "_restore(", "put_back(")


def test_every_module_with_a_transactional_test_restores_the_shared_data() -> None:
    missing = []
    for path in sorted(TESTS.rglob("*.py")):
        text = path.read_text()
        if path.name == "conftest.py" and path.parent == TESTS:
            continue  # defines the fixture
        if ("transaction=True" in text or "transactional_db" in text) and not any(
            r in text for r in RESTORES
        ):
            missing.append(str(path.relative_to(TESTS)))
    assert missing == [], f"transactional tests without a restore: {missing}"
