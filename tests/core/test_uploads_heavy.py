"""Big files on the command line: memory stays flat however large the file (heavy)."""

from __future__ import annotations

import os
import tracemalloc
from typing import Any

import pytest

from jaga.core.errors import ImportFailed

pytestmark = pytest.mark.heavy

SIZE = (8 if os.environ.get("JAGA_HEAVY_SHORT") else 64) << 20


def test_a_huge_file_of_bad_adoptions_keeps_memory_and_the_answer_small(
    tmp_path: Any, db: Any
) -> None:
    from jaga.programs.services import import_adoptions

    path = tmp_path / "adoptions.csv"
    row = b"NOPE,35.03.11.1002,2021-04-01\n"
    with path.open("wb") as out:
        out.write(b"programme_code,village_code,adopted_on\n")
        chunk = row * 10_000
        for _ in range(SIZE // len(chunk)):
            out.write(chunk)
    rows = (SIZE // len(chunk)) * 10_000
    tracemalloc.start()
    with pytest.raises(ImportFailed) as caught:
        import_adoptions(path, actor=None)
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(caught.value.errors) == 100 and caught.value.errors.more == rows - 100
    assert len(str(caught.value.as_dict())) < 20_000
    assert peak < 16 << 20, peak  # the 1.2 GB error list of the audit is gone
