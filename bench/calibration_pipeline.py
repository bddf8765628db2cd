"""End-to-end calibration (issue 11 item 4): planted registers through the documented imports and
commands, as a user runs them.

The direct forms plant data straight into the estimator (`bench/calibration_evaluation.py`) or the
village roll-up (`bench/calibration_warning.py`). This form takes the same generators (`panel`,
`plant`), writes each planted register as the documented CSV files (docs/imports.md: incident
history, one row per incident with real village codes of regency 35.03 and categories of the
catalogue; programme adoptions) and runs, with `call_command`, exactly what a user runs:

    jaga incidents import FILE --no-progress
    jaga programmes import-adoptions FILE --quiet
    jaga analytics evaluate --programme FKPM --territory 35.03 --json
    jaga analytics alarms --territory 35.03 --end YYYY-MM --json --with-period

and reads their JSON output. Nothing else of Jaga is called, except the documented pre-trend rule
(`pre_trend_rejects`: either printed p-value under 2.5%) to read the two p-values the command
prints, and the direct estimator on the same planted panel, for the truth and the comparison.

Two kinds of register alternate (even replications / odd ones):
- `full`: the history ends with the last complete month, the month the commands default to;
- `early`: the history ends in 2025-06 and begins 6 months after the planted panel's first month,
  while the evaluation runs to its default end (the last complete month) and the alarms are asked
  for the last complete month. The months after the register ends (and before it begins) are
  unknown: the commands must leave them out and say which period they used (issue 11 item 1).

Each register is imported inside a transaction that is rolled back (the regency's incidents,
roll-ups and adoptions are also deleted in it first, so any database works), so nothing is left
between replications.

Run alone: `python -m bench.calibration_pipeline [EVAL_REPS [ALARM_REPS]]` (default 80 and 100,
about 10 minutes on a quiet 2-core machine; BENCH_DATABASE_URL:
use a database of your own; created if missing, regency 35.03 loaded and its Polres set up). It
rewrites only its own section of BENCHMARKS.md. `make bench` runs it with BENCH_PIPELINE_REPS
(evaluation replications; alarm replications twice as many). `tests/analytics/
test_calibration_pipeline.py` runs one replication of each kind in `make test`.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.calibration_evaluation import EFFECT, TREND, Rate, panel, write_section
from bench.calibration_warning import MONTHS as ALARM_MONTHS
from bench.calibration_warning import Tally, _months, plant, rate, score
from jaga.analytics.stats.did import DidResult, callaway_santanna, pre_trend_rejects
from jaga.core.months import add_months

REGENCY = "35.03"
PROGRAMME = "FKPM"  # KTS, the docs' example, is only in the demo: not in the Polres catalogue
EARLY_END = datetime.date(2025, 6, 1)
LATE_START = 6  # months of the planted panel before the `early` register begins
KINDS = ("full", "early")
N_MONTHS = 48
# The alarm cells: the target (3x for two months at 2.5 a month) and a stronger one.
ALARM_BASELINES = (2.5,)
ALARM_SURGES = ((3.0, 2), (5.0, 1))
TITLE = (
    "## Calibration end to end: planted registers through the imports and commands "
    "(`bench/calibration_pipeline.py`)"
)


# ---- setup and the commands ---------------------------------------------------------------


def ensure_regency() -> None:
    """Regency 35.03's territory and its Polres (which brings the programme catalogue)."""
    from django.core.management import call_command

    from jaga.programs.models import Programme
    from jaga.territory.models import Territory
    from jaga.territory.services import load_territory

    if not Territory.objects.filter(code=REGENCY).exists():
        load_territory(REGENCY)
    if not Programme.objects.filter(code=PROGRAMME).exists():
        call_command("polres", "create", "--regency", REGENCY, stdout=io.StringIO())


def command(*args: str) -> str:
    """Run `jaga ARGS` in this process; its standard output."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        lines = err.getvalue().splitlines()
        raise CommandError(f"jaga {' '.join(args)}: {exc}\n" + "\n".join(lines[:5])) from exc
    return out.getvalue()


def village_codes() -> list[str]:
    from jaga.territory.models import Level, Territory

    return list(
        Territory.objects.filter(level=Level.VILLAGE, regency_code=REGENCY)
        .order_by("code")
        .values_list("code", flat=True)
    )


def category_codes(k: int) -> list[str]:
    from jaga.incidents.models import Category

    return list(
        Category.objects.filter(parent__isnull=False, is_active=True)
        .order_by("code")
        .values_list("code", flat=True)[:k]
    )


def last_complete_month() -> datetime.date:
    """The month the commands default to (the month before today's)."""
    from django.utils import timezone

    return add_months(timezone.localdate().replace(day=1), -1)


def clear_regency() -> None:
    """Inside the replication's transaction: the regency's incidents, roll-ups and adoptions go,
    so the register is exactly the planted one on any database."""
    from django.db.models import Q

    from jaga.analytics.models import AreaMonthlyCount, MonthlyIncidentCount
    from jaga.incidents.models import Incident
    from jaga.programs.models import ProgrammeAdoption

    Incident.objects.filter(regency_code=REGENCY).delete()
    MonthlyIncidentCount.objects.filter(regency_code=REGENCY).delete()
    AreaMonthlyCount.objects.filter(
        Q(area_code=REGENCY) | Q(area_code__startswith=REGENCY + ".")
    ).delete()
    ProgrammeAdoption.objects.filter(village__regency_code=REGENCY).delete()


def write_incidents(
    path: Path,
    counts: np.ndarray,
    months: list[datetime.date],
    villages: list[str],
    categories: list[str],
    rng: np.random.Generator,
    split: bool,
) -> int:
    """The incident-history CSV of docs/imports.md, one row per incident. `counts` is
    [village, month] (`split`: each incident takes one of `categories` at random) or [village,
    category, month]. Days of the month are drawn at random. Returns the number of rows."""
    if split:
        v, t = np.nonzero(counts)
        n = counts[v, t].astype(np.int64)
        vi, ti = np.repeat(v, n), np.repeat(t, n)
        ci = rng.integers(0, len(categories), size=len(vi))
    else:
        v, c, t = np.nonzero(counts)
        n = counts[v, c, t].astype(np.int64)
        vi, ci, ti = np.repeat(v, n), np.repeat(c, n), np.repeat(t, n)
    days = rng.integers(1, 29, size=len(vi))
    with path.open("w", encoding="utf-8") as f:
        f.write("occurred_at,village_code,category,source_ref\n")
        f.writelines(
            f"{months[t]:%Y-%m}-{d:02d},{villages[v]},{categories[c]},CAL-{k}\n"
            for k, (v, c, t, d) in enumerate(
                zip(vi.tolist(), ci.tolist(), ti.tolist(), days.tolist(), strict=True)
            )
        )
    return len(vi)


def write_adoptions(
    path: Path, cohort: np.ndarray, months: list[datetime.date], villages: list[str]
) -> None:
    """The programme-adoptions CSV of docs/imports.md (adopted on the 10th of the month)."""
    with path.open("w", encoding="utf-8") as f:
        f.write("programme_code,village_code,adopted_on\n")
        for i in np.flatnonzero(cohort >= 0):
            f.write(f"{PROGRAMME},{villages[i]},{months[cohort[i]]:%Y-%m}-10\n")


# ---- the evaluation ------------------------------------------------------------------------


@dataclass
class Register:
    """A planted evaluation register: the panel of `calibration_evaluation.panel` laid on real
    months, and the months of it that are imported (`first`..the last)."""

    kind: str
    y: np.ndarray
    cohort: np.ndarray
    lam0: np.ndarray
    lam1: np.ndarray
    months: list[datetime.date]
    first: int


def register(
    rng: np.random.Generator, kind: str, n: int, effect: float = 0.0, trend: float = 0.0
) -> Register:
    y, cohort, lam0, lam1 = panel(rng, effect=effect, trend=trend, n_villages=n)
    end = last_complete_month() if kind == "full" else EARLY_END
    months = [add_months(end, -i) for i in range(N_MONTHS - 1, -1, -1)]
    return Register(kind, y, cohort, lam0, lam1, months, 0 if kind == "full" else LATE_START)


def evaluate_register(
    reg: Register, villages: list[str], categories: list[str], rng: np.random.Generator, tmp: Path
) -> dict[str, Any]:
    """Import the register and its adoptions, run `jaga analytics evaluate --json`; its output."""
    from django.db import transaction

    with transaction.atomic():
        clear_regency()
        incidents, adoptions = tmp / "incidents.csv", tmp / "adoptions.csv"
        counts = reg.y.astype(np.int64).copy()
        counts[:, : reg.first] = 0  # before the register begins: not in the file
        write_incidents(incidents, counts, reg.months, villages, categories, rng, split=True)
        write_adoptions(adoptions, reg.cohort, reg.months, villages)
        command("incidents", "import", str(incidents), "--no-progress")
        command("programmes", "import-adoptions", str(adoptions), "--quiet")
        out = command(
            "analytics", "evaluate", "--programme", PROGRAMME, "--territory", REGENCY, "--json"
        )
        transaction.set_rollback(True)
    result: dict[str, Any] = json.loads(out)
    return result


def window(reg: Register, result: dict[str, Any]) -> tuple[int, int]:
    """The panel's columns the evaluation says it used (its `start` and `end`)."""
    index = {f"{m:%Y-%m}": i for i, m in enumerate(reg.months)}
    return index[result["start"]], index[result["end"]]


def direct(reg: Register, y: np.ndarray, a: int, b: int) -> DidResult:
    """The estimator on columns a..b of a panel of the register, cohorts as the evaluation reads
    them (adopted before `a`: 0, always treated; after `b`: never)."""
    c = reg.cohort
    cohort = np.where(c < 0, -1, np.where(c > b, -1, np.where(c < a, 0, c - a)))
    return callaway_santanna(y[:, a : b + 1], cohort, min_e=-12, max_e=24)


@dataclass
class EvalTally:
    kind: str
    errors: list[float] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    covered: int = 0
    placebo: int = 0
    size: int = 0
    power: int = 0
    reps: int = 0
    # The printed estimate and interval equal the estimator's on the same panel and months.
    same_as_direct: int = 0
    # The period printed ends with the register (not the month asked for) and begins with it.
    period_right: int = 0

    def summary(self) -> dict[str, Any]:
        err = np.array(self.errors)
        n = self.reps
        return {
            "kind": self.kind,
            "reps": n,
            "bias": float(err.mean()) if n else float("nan"),
            "bias_mcse": float(err.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
            "width": float(np.mean(self.widths)) if n else float("nan"),
            "coverage": Rate(self.covered, n),
            "placebo": Rate(self.placebo, n),
            "pretrend_size": Rate(self.size, n),
            "pretrend_power": Rate(self.power, n),
            "same_as_direct": self.same_as_direct,
            "period_right": self.period_right,
        }


def period_is_the_registers(reg: Register, result: dict[str, Any]) -> bool:
    """The evaluation's period ends with the register's last month and does not begin before
    its first, and the asked end is the default (the last complete month)."""
    p = result["period"]
    return (
        p["end"] == f"{reg.months[-1]:%Y-%m}"
        and p["start"] >= f"{reg.months[reg.first]:%Y-%m}"
        and p["asked_end"] == f"{last_complete_month():%Y-%m}"
    )


def close(result: dict[str, Any], d: DidResult) -> bool:
    return all(
        math.isclose(result[k], getattr(d, k), rel_tol=1e-9, abs_tol=1e-9)
        for k in ("att", "ci_low", "ci_high")
    )


def replicate_evaluation(
    rng: np.random.Generator, crng: np.random.Generator, kind: str, tally: EvalTally, tmp: Path
) -> None:
    """One replication: a register with the programme's effect, one without (placebo and the
    pre-trend check's size), one with a pre-trend (its power), as in the direct form."""
    villages, categories = village_codes(), category_codes(3)
    reg = register(rng, kind, len(villages), effect=EFFECT)
    r = evaluate_register(reg, villages, categories, crng, tmp)
    a, b = window(reg, r)
    d = direct(reg, reg.y, a, b)
    truth = direct(reg, reg.lam1, a, b).att - direct(reg, reg.lam0, a, b).att
    tally.errors.append(r["att"] - truth)
    tally.widths.append(r["ci_high"] - r["ci_low"])
    tally.covered += r["ci_low"] <= truth <= r["ci_high"]
    tally.same_as_direct += close(r, d)
    tally.period_right += period_is_the_registers(reg, r)
    reg = register(rng, kind, len(villages))
    r = evaluate_register(reg, villages, categories, crng, tmp)
    tally.placebo += not (r["ci_low"] <= 0 <= r["ci_high"])
    tally.size += pre_trend_rejects(r["pre_trend_p"], r["pre_slope_p"])
    reg = register(rng, kind, len(villages), trend=TREND)
    r = evaluate_register(reg, villages, categories, crng, tmp)
    tally.power += pre_trend_rejects(r["pre_trend_p"], r["pre_slope_p"])
    tally.reps += 1


# ---- the alarms ----------------------------------------------------------------------------


@dataclass
class AlarmTally:
    kind: str
    tally: Tally = field(default_factory=Tally)
    period_right: int = 0


def alarm_register(
    rng: np.random.Generator,
    crng: np.random.Generator,
    kind: str,
    tmp: Path,
    baselines: tuple[float, ...] = ALARM_BASELINES,
    surges: tuple[tuple[float, int], ...] = ALARM_SURGES,
) -> tuple[Tally, dict[str, Any]]:
    """One replication of `calibration_warning.plant` (one category) imported as incidents, then
    `jaga analytics alarms --end <last complete month> --json --with-period`."""
    from django.db import transaction

    started = time.monotonic()
    villages, categories = village_codes(), category_codes(1)
    end = last_complete_month() if kind == "full" else EARLY_END
    months = _months(end)
    planted = plant(rng, len(villages), 1, months, baselines, surges)
    with transaction.atomic():
        clear_regency()
        path = tmp / "incidents.csv"
        write_incidents(path, planted.counts, months, villages, categories, crng, split=False)
        command("incidents", "import", str(path), "--no-progress")
        out = command(
            "analytics",
            "alarms",
            "--territory",
            REGENCY,
            "--end",
            f"{last_complete_month():%Y-%m}",
            "--json",
            "--with-period",
        )
        transaction.set_rollback(True)
    report: dict[str, Any] = json.loads(out)
    tally = score(planted, villages, categories, report["alarms"])
    tally.seconds = time.monotonic() - started
    report["register_end"] = f"{end:%Y-%m}"
    report["register_start"] = f"{months[0]:%Y-%m}"
    return tally, report


# ---- the run and its report ----------------------------------------------------------------


def calibrate(
    eval_reps: int, alarm_reps: int, seed: int = 2026, progress: bool = False
) -> dict[str, Any]:
    rng_eval = np.random.default_rng(seed)
    rng_alarm = np.random.default_rng(seed + 1)
    crng = np.random.default_rng(seed + 2)  # days and categories of the rows: not the counts
    evals = {k: EvalTally(k) for k in KINDS}
    alarms = {k: AlarmTally(k) for k in KINDS}
    seconds = {"evaluation": 0.0, "alarms": 0.0}
    with tempfile.TemporaryDirectory(prefix="jaga-calib-") as tmp:
        for i in range(eval_reps):
            started = time.monotonic()
            replicate_evaluation(rng_eval, crng, KINDS[i % 2], evals[KINDS[i % 2]], Path(tmp))
            seconds["evaluation"] += time.monotonic() - started
            if progress:
                print(f"evaluation {i + 1}/{eval_reps}: {time.monotonic() - started:.1f} s")
        for i in range(alarm_reps):
            kind = KINDS[i % 2]
            t, report = alarm_register(rng_alarm, crng, kind, Path(tmp))
            alarms[kind].tally.add(t)
            alarms[kind].period_right += report["period"]["end"] == report["register_end"]
            seconds["alarms"] += t.seconds
            if progress:
                print(f"alarms {i + 1}/{alarm_reps}: {t.seconds:.1f} s")
    return {"evaluation": evals, "alarms": alarms, "seconds": seconds}


def _eval_rows(s: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, target, value) of one column of the evaluation's table."""
    if not s["reps"]:
        return [(label, target, "–") for label, target, _ in _eval_rows(_EXAMPLE)]
    return [
        (
            "Bias of the effect (−25% planted), per village-month",
            "≈ 0",
            f"{s['bias']:+.4f} (MC s.e. {s['bias_mcse']:.4f})",
        ),
        ("Coverage of the 95% interval", "93–97%", str(s["coverage"])),
        ("Mean interval width", "", f"{s['width']:.3f}"),
        ("Placebo programme flagged (no effect planted)", "≤ 7%", str(s["placebo"])),
        ("Pre-trend check fails without a pre-trend (size)", "≤ 7%", str(s["pretrend_size"])),
        ("Pre-trend check catches a 1%-a-month drift (power)", "≥ 80%", str(s["pretrend_power"])),
        (
            "Printed estimate and interval = the estimator on the same panel and months",
            "all",
            f"{s['same_as_direct']} of {s['reps']}",
        ),
        (
            "Period printed = the register's (ends with it, not with the month asked)",
            "all",
            f"{s['period_right']} of {s['reps']}",
        ),
    ]


_EXAMPLE = EvalTally("example", errors=[0.0, 0.0], widths=[0.0], reps=2).summary()


def pooled(evals: dict[str, EvalTally]) -> EvalTally:
    p = EvalTally("both")
    for t in evals.values():
        p.errors += t.errors
        p.widths += t.widths
        for k in ("covered", "placebo", "size", "power", "reps", "same_as_direct"):
            setattr(p, k, getattr(p, k) + getattr(t, k))
        p.period_right += t.period_right
    return p


def report(c: dict[str, Any], seconds: float, machine: list[str] | None = None) -> list[str]:
    evals: dict[str, EvalTally] = c["evaluation"]
    alarms: dict[str, AlarmTally] = c["alarms"]
    n_eval = sum(t.reps for t in evals.values())
    n_alarm = sum(a.tally.replications for a in alarms.values())
    today = last_complete_month()
    lines = [
        TITLE,
        "",
        "The end-to-end form beside the direct ones (*Calibration: programme evaluation* plants "
        "into the estimator, *Early-warning calibration* into the village roll-up): each planted "
        "register is written as the documented incident-history CSV (one row per incident, real "
        f"village codes of regency {REGENCY}, catalogue categories, random days) and the "
        "programme-adoptions CSV, imported with `jaga incidents import` and `jaga programmes "
        f"import-adoptions`, and read back from `jaga analytics evaluate --programme {PROGRAMME} "
        f"--territory {REGENCY} --json` and `jaga analytics alarms --territory {REGENCY} --end "
        f"{today:%Y-%m} --json --with-period` (in-process `call_command`; each register in a "
        "transaction rolled back afterwards). Same generators as the direct forms (157 villages "
        "instead of 271 for the evaluation: the regency's). Two registers alternate: **full** "
        f"(history ends {today:%Y-%m}, the last complete month the commands default to) and "
        f"**early** (history from {add_months(EARLY_END, -(N_MONTHS - 1 - LATE_START)):%Y-%m} "
        f"to {EARLY_END:%Y-%m}, six months after the panel's first month, while the commands "
        f"are asked up to {today:%Y-%m}). Monte Carlo standard errors: binomial sqrt(p(1-p)/n); "
        "sd/sqrt(n) for the bias. "
        f"`python -m bench.calibration_pipeline EVAL_REPS ALARM_REPS` redoes it; wall time "
        f"{seconds:.0f} s ({c['seconds']['evaluation']:.0f} s for {n_eval} evaluation "
        f"replications of three registers each, {c['seconds']['alarms']:.0f} s for {n_alarm} "
        "alarm replications).",
        "",
        *(machine or []),
        "",
        "### Programme evaluation through the imports",
        "",
        f"| Figure | Target | full register ({evals['full'].reps} replications) | early "
        f"register ({evals['early'].reps}) | both ({n_eval}) |",
        "|---|---|---|---|---|",
    ]
    columns = [_eval_rows(t.summary()) for t in (evals["full"], evals["early"], pooled(evals))]
    for rows in zip(*columns, strict=True):
        label, target = rows[0][0], rows[0][1]
        lines.append(f"| {label} | {target} | " + " | ".join(r[2] for r in rows) + " |")
    lines += [
        "",
        "### Early warning through the import",
        "",
        "One category; every village of the regency at 2.5 incidents a month with a ±25% season "
        f"over {ALARM_MONTHS} months; half the villages get a surge (3x for 2 months, or 5x for "
        "1 month) at a random place in the last six months of the register. A false alarm is "
        "an alarm on a village without a surge (one series each).",
        "",
        "| register | replications | false alarms per series (target ≤ 0.2%) | 3x, 2 months at "
        "2.5 (target ≥ 60%) | 5x, 1 month at 2.5 | period ends with the register |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    total = Tally()
    right = 0
    for kind in (*KINDS, "both"):
        if kind == "both":
            t, pr = total, right
        else:
            t, pr = alarms[kind].tally, alarms[kind].period_right
            total.add(t)
            right += pr
        fa, fa_se = rate(t.false_alarms, t.null_series)
        cells = []
        for key in ((2.5, 3.0, 2), (2.5, 5.0, 1)):
            k, n = t.caught.get(key, 0), t.planted.get(key, 0)
            p, se = rate(k, n)
            cells.append(f"{k}/{n} = {100 * p:.1f}% (MC s.e. {100 * se:.1f})")
        lines.append(
            f"| {kind} | {t.replications} | {t.false_alarms}/{t.null_series} = "
            f"{100 * fa:.3f}% (MC s.e. {100 * fa_se:.3f}) | {cells[0]} | {cells[1]} | "
            f"{pr} of {t.replications} |"
        )
    return [*lines, ""]


def run(ctx: dict[str, Any]) -> list[str]:
    """`make bench`: BENCH_PIPELINE_REPS evaluation replications (default 20), twice as many
    alarm replications, in transactions rolled back."""
    from bench.__main__ import machine

    ensure_regency()
    reps = int(os.environ.get("BENCH_PIPELINE_REPS", "20"))
    started, load = time.monotonic(), os.getloadavg()
    c = calibrate(reps, 2 * reps)
    return report(c, time.monotonic() - started, machine_lines(machine(), load))


def machine_lines(lines: list[str], load: tuple[float, float, float]) -> list[str]:
    """The machine, without the national run's note on medians (each figure here is one run),
    and the load average at the start and the end."""
    after = os.getloadavg()
    return [
        *(line for line in lines if not line.startswith("- The two cores")),
        f"- Load average (1, 5, 15 min) at the start {load[0]:.2f}, {load[1]:.2f}, "
        f"{load[2]:.2f}; at the end {after[0]:.2f}, {after[1]:.2f}, {after[2]:.2f} (other work "
        "shares the two cores)",
    ]


def main() -> None:
    from bench.__main__ import machine, setup_django

    setup_django()
    ensure_regency()
    # 80 and 100: about 10 minutes on the 2-core machine at load 3 (25 at load 5).
    eval_reps = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    alarm_reps = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    started, load = time.monotonic(), os.getloadavg()
    c = calibrate(eval_reps, alarm_reps, progress=True)
    lines = report(c, time.monotonic() - started, machine_lines(machine(), load))
    print("\n".join(lines))
    write_section(lines, Path(__file__).resolve().parent.parent / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
