"""Bounded query parameters shared by the JSON API.

Paging and period parameters are bounded in the schema itself, so a negative or huge value is a
422 with the field named (and the OpenAPI document says so) instead of a database error.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Query

# 10^9 rows is far beyond any table of one Polres, and offset + limit stays a 64-bit integer.
MAX_OFFSET = 1_000_000_000
MAX_LIMIT = 1000
# Ten years of months: more than any trend or series needs.
MAX_MONTHS = 120

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip (0 or more).")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows to return (1 to 1000).")]
Months = Annotated[int, Query(ge=1, le=MAX_MONTHS, description="Months to cover (1 to 120).")]
