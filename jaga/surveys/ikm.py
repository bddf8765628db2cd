"""The arithmetic of the IKM (Indeks Kepuasan Masyarakat, PermenPANRB No. 14 Tahun 2017).

- NRR per element = Σ scores / number of respondents who answered (scale 1–4);
- IKM = Σ NRR × weight (weights sum to 1; 1/9 each by default), between 1 and 4;
- converted IKM = IKM × 25, between 25 and 100, rounded to two decimals as reports publish it;
- grade: A 88.31–100 (sangat baik), B 76.61–88.30 (baik), C 65.00–76.60 (kurang baik),
  D 25.00–64.99 (tidak baik). The bands are read from `IkmBand` (data), with these as default.

Sample size: Krejcie & Morgan (1970), the table the regulation refers to:
n = χ² N P(1−P) / (d² (N−1) + χ² P(1−P)), χ² = 3.841 (1 df, 95 %), P = 0.5, d = 0.05.
Decimal arithmetic throughout so that a band edge is never missed by a float rounding error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")
DEFAULT_BANDS: list[tuple[str, Decimal, Decimal]] = [
    ("A", Decimal("88.31"), Decimal("100.00")),
    ("B", Decimal("76.61"), Decimal("88.30")),
    ("C", Decimal("65.00"), Decimal("76.60")),
    ("D", Decimal("25.00"), Decimal("64.99")),
]
WEIGHT_TOLERANCE = Decimal("0.0001")


@dataclass(frozen=True)
class IkmResult:
    respondents: int
    nrr: dict[str, Decimal]  # element code -> average score (4 decimals)
    ikm: Decimal  # 1–4 (4 decimals)
    converted: Decimal  # 25–100 (2 decimals)
    grade: str


def default_weights(codes: Sequence[str]) -> dict[str, Decimal]:
    return {code: Decimal(1) / Decimal(len(codes)) for code in codes}


def check_weights(weights: Mapping[str, Decimal]) -> None:
    total = sum(weights.values(), Decimal(0))
    if abs(total - 1) > WEIGHT_TOLERANCE or any(w < 0 for w in weights.values()):
        raise ValueError(f"IKM weights must be non-negative and sum to 1 (they sum to {total}).")


def grade_of(
    converted: Decimal, bands: Sequence[tuple[str, Decimal, Decimal]] | None = None
) -> str:
    """The grade of a converted IKM value rounded to two decimals."""
    value = converted.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    for grade, lower, upper in bands or DEFAULT_BANDS:
        if lower <= value <= upper:
            return grade
    raise ValueError(f"Converted IKM {value} is outside 25–100.")


def compute(
    respondents: int,
    sums: Mapping[str, int],
    weights: Mapping[str, Decimal] | None = None,
    bands: Sequence[tuple[str, Decimal, Decimal]] | None = None,
) -> IkmResult | None:
    """The IKM of `respondents` questionnaires whose element scores add up to `sums`."""
    if respondents <= 0:
        return None
    weights = dict(weights) if weights is not None else default_weights(list(sums))
    check_weights(weights)
    n = Decimal(respondents)
    nrr = {code: Decimal(sums[code]) / n for code in weights}
    ikm = sum((nrr[code] * weights[code] for code in weights), Decimal(0))
    converted = (ikm * 25).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return IkmResult(
        respondents=respondents,
        nrr={c: v.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) for c, v in nrr.items()},
        ikm=ikm.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        converted=converted,
        grade=grade_of(converted, bands),
    )


def compute_from_rows(
    rows: Sequence[Mapping[str, int]],
    weights: Mapping[str, Decimal] | None = None,
    bands: Sequence[tuple[str, Decimal, Decimal]] | None = None,
) -> IkmResult | None:
    if not rows:
        return None
    codes = list(weights) if weights is not None else list(rows[0])
    sums = {code: sum(int(r[code]) for r in rows) for code in codes}
    return compute(len(rows), sums, weights, bands)


CHI_SQUARE_95 = Decimal("3.841")


def krejcie_morgan(population: int) -> int:
    """The sample size Krejcie & Morgan's table gives for a population of `population`."""
    if population <= 0:
        return 0
    n_pop = Decimal(population)
    p = Decimal("0.5")
    d = Decimal("0.05")
    size = (CHI_SQUARE_95 * n_pop * p * (1 - p)) / (
        d * d * (n_pop - 1) + CHI_SQUARE_95 * p * (1 - p)
    )
    return int(size.quantize(Decimal(1), rounding=ROUND_HALF_UP))
