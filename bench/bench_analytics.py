"""Analytics at national scale: early warning for every village, a Polres dashboard from the
roll-ups against the same figures from the raw incidents, and the statistical models' cost."""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from jaga.core.months import add_months, months_between

REPEAT = 5


def timed(func: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    """Median wall time in seconds over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run(ctx: dict[str, Any]) -> list[str]:
    from jaga.analytics.units import last_complete_month

    end = last_complete_month()
    lines = ["## Analytics", ""]
    lines += early_warning(end)
    lines += dashboard(end)
    lines += models(end)
    return lines


def country() -> Any:
    from jaga.analytics.units import Unit
    from jaga.territory.models import Level, Territory

    codes = list(Territory.objects.filter(level=Level.PROVINCE).values_list("code", flat=True))
    return Unit("*", "Indonesia", codes, "country")


def forget_alarms() -> None:
    """Empty the alarms' cache entries (not the scan's simulated limits, kept for good) and what
    this process keeps of them (`warning._REGENCY_ALARMS`, `warning._MERGED`)."""
    from django.core.cache import cache
    from django.db import connection

    from jaga.analytics import warning

    warning._REGENCY_ALARMS.clear()
    warning._MERGED.clear()
    table = getattr(cache, "_table", None)
    if table is None:
        cache.clear()
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(table)} WHERE cache_key LIKE %s",  # noqa: S608
            ["%jaga:alarms:%"],
        )


def early_warning(end: datetime.date) -> list[str]:
    from jaga.analytics import series, warning
    from jaga.analytics.coverage import regency_coverage
    from jaga.analytics.models import RegencySeries
    from jaga.analytics.units import Unit
    from jaga.territory.models import Territory

    print("  early warning …", flush=True)
    unit = country()
    coverage = regency_coverage(unit)
    warning._use_cache_for_limits()

    def anew() -> Any:
        RegencySeries.objects.all().delete()
        return series.matrices(coverage)

    t_build, _ = timed(anew, repeat=1)
    stored_bytes = sum(len(bytes(d)) for d in RegencySeries.objects.values_list("data", flat=True))
    t_read, stored = timed(lambda: series.matrices(coverage), repeat=5)
    t_all, found = timed(lambda: warning.alarms(unit, end), repeat=5)
    # One regency's roll-up moved (its version): the next computation builds its series again.
    one = sorted(stored)[0]

    def one_stale() -> Any:
        RegencySeries.objects.filter(regency_code=one).update(version=-1)
        return warning.alarms(unit, end)

    t_one, _ = timed(one_stale, repeat=3)
    java = Territory.objects.get(code="35")
    province = Unit("35", java.name, ["35"], java.level, java)
    rows = []
    for name, u in (("country", unit), (f"province ({java.name})", province)):

        def cold(u: Unit = u) -> Any:
            forget_alarms()
            return warning.alarms_report(u, end)

        t_cold, report = timed(cold, repeat=3)
        t_warm, _ = timed(lambda u=u: warning.alarms_report(u, end), repeat=5)
        rows.append(
            f"| {name} | {len(report['alarms']):,} | {t_cold:.2f} s | **{t_warm * 1000:.0f} ms** |"
        )
    series_n = sum(m.counts.shape[0] for m in stored.values())
    villages = len({int(v) for m in stored.values() for v in m.village_ids})
    return [
        "### Early warning for every village of the country",
        "",
        "Poisson likelihood-ratio scan per village x category and per village total on the "
        "roll-up (36 months of baseline, 6 monitored), regency by regency (each its own period, "
        "season and trend; regencies with the same period in one vectorised pass). A province or "
        "the country reads each regency's packed series (`analytics.series`: its village roll-up "
        f"over its last {series.STORED_MONTHS} months in one compressed value, stored under the "
        "regency's roll-up version and built again when the version moves).",
        "",
        "| step | median |",
        "|---|---|",
        f"| build and store every regency's series anew (from the roll-up, one packed read), "
        f"once | {t_build:.2f} s |",
        f"| read every regency's series, all current ({len(stored)} values, "
        f"{stored_bytes / 1e6:.1f} MB; {series_n:,} series in {villages:,} villages), median of 5 "
        f"| {t_read:.2f} s |",
        f"| every alarm of the country, computed (`warning.alarms`: read, scan of every regency, "
        f"names), median of 5 | **{t_all:.2f} s** |",
        f"| the same with one regency's roll-up moved since (its series built again), median of 3 "
        f"| {t_one:.2f} s |",
        "",
        f"{len(found):,} alarms; the data has no planted surge, so they are false alarms against "
        f"the nominal {warning.ALPHA:.1%} per series and window.",
        "",
        "What a leader's page reads (`warning.alarms_report`, through the cache regency by "
        "regency): *cold* with every regency's entry removed (median of 3), *warm* once the "
        "monthly run or an earlier visit scanned them (median of 5; one query for every "
        "regency's version, the cache, two queries for names):",
        "",
        "| unit | alarms | cold | warm |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def regencies(n: int = 20) -> list[str]:
    from jaga.territory.models import Level, Territory

    codes = sorted(Territory.objects.filter(level=Level.REGENCY).values_list("code", flat=True))
    rng = np.random.default_rng(7)
    return sorted(rng.choice(codes, size=min(n, len(codes)), replace=False).tolist())


def rollup_figures(unit: Any, end: datetime.date) -> dict[str, Any]:
    from jaga.analytics import queries

    counts = queries.dashboard_counts(unit, end)  # what the dashboard reads: one query
    comp, series, sparks = counts.comp, counts.series, counts.sparks
    return {
        "total": comp.total.current,
        "ytd": comp.total.ytd,
        "by_category": {r.category_id: r.current for r in comp.rows if r.current},
        "series": series,
        "sparks": {s["territory"].code: s["values"] for s in sparks},
    }


def raw_figures(code: str, end: datetime.date) -> dict[str, Any]:
    """The same figures straight from the incident table (what a dashboard without roll-ups does)."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from jaga.analytics.stats.compstat import poisson_change_p
    from jaga.analytics.stats.trend import mann_kendall
    from jaga.incidents.models import Incident

    tz = timezone.get_current_timezone()

    def at(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=tz)

    upper = at(add_months(end, 1))
    base = Incident.objects.filter(regency_code=code).order_by()
    comp_rows = (
        base.filter(occurred_at__gte=at(datetime.date(end.year - 1, 1, 1)), occurred_at__lt=upper)
        .annotate(m=TruncMonth("occurred_at"))
        .values("category_id", "m")
        .annotate(n=Count("id"))
    )
    by_category: dict[int, int] = {}
    total = ytd = 0
    for r in comp_rows:
        m = r["m"].date()
        if m == end:
            total += r["n"]
            by_category[r["category_id"]] = by_category.get(r["category_id"], 0) + r["n"]
        if m.year == end.year:
            ytd += r["n"]
    first = add_months(end, -35)
    per_month = dict(
        base.filter(occurred_at__gte=at(first), occurred_at__lt=upper)
        .annotate(m=TruncMonth("occurred_at"))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    series = [per_month.get(at(m), 0) for m in months_between(first, end)]
    spark_start = add_months(end, -23)
    sparks: dict[str, dict[datetime.date, int]] = {}
    for r in (
        base.filter(occurred_at__gte=at(spark_start), occurred_at__lt=upper)
        .annotate(m=TruncMonth("occurred_at"))
        .values("district_code", "m")
        .annotate(n=Count("id"))
    ):
        sparks.setdefault(r["district_code"], {})[r["m"].date()] = r["n"]
    month_list = months_between(spark_start, end)
    # The same statistics as the roll-up path, so that both build the same figures.
    ly = add_months(end, -12)
    prev = add_months(end, -1)
    per_cat: dict[int, dict[datetime.date, int]] = {}
    for r in comp_rows:
        per_cat.setdefault(r["category_id"], {})[r["m"].date()] = r["n"]
    for months in per_cat.values():
        cur = months.get(end, 0)
        poisson_change_p(cur, months.get(prev, 0))
        poisson_change_p(cur, months.get(ly, 0))
    for values in sparks.values():
        mann_kendall(np.asarray([values.get(m, 0) for m in month_list], dtype=float))
    return {
        "total": total,
        "ytd": ytd,
        "by_category": by_category,
        "series": series,
        "sparks": {k: [v.get(m, 0) for m in month_list] for k, v in sparks.items()},
    }


def fresh(unit: Any) -> Any:
    unit.memo.clear()
    return unit


COUNT_TABLES = (
    "analytics_areamonthlycount",
    "analytics_monthlyincidentcount",
    "incidents_incident",
)


def sql_time(func: Callable[[], Any], repeat: int = REPEAT) -> float:
    """Median time spent inside the queries of `func` that read incident counts.

    Only the queries on the roll-ups or on the incident table count: the names of categories
    and districts and the population are the same reads whichever way the counts are made.
    """
    from django.db import connection

    spent = [0.0]

    def clock(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if any(table in sql for table in COUNT_TABLES):
                spent[0] += time.perf_counter() - t0

    times = []
    for _ in range(repeat):
        spent[0] = 0.0
        with connection.execute_wrapper(clock):
            func()
        times.append(spent[0])
    return statistics.median(times)


def dashboard(end: datetime.date) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jaga.accounts.models import Posting, Role, User
    from jaga.analytics.units import Unit
    from jaga.territory.models import Territory
    from tests.conftest import pass_second_factor

    print("  Polres dashboard …", flush=True)
    rows = []
    roll_times, raw_times, page_times, page_cold = [], [], [], []
    sql_rolls: list[float] = []
    sql_raws: list[float] = []
    queries_per_page = 0
    for code in regencies():
        t = Territory.objects.get(code=code)
        unit = Unit(code, t.name, [code], t.level, t)
        t_roll, fig_roll = timed(lambda unit=unit: rollup_figures(fresh(unit), end))
        t_raw, fig_raw = timed(lambda code=code: raw_figures(code, end), repeat=3)
        sql_roll = sql_time(lambda unit=unit: rollup_figures(fresh(unit), end))
        sql_raw = sql_time(lambda code=code: raw_figures(code, end), repeat=3)
        same = (
            fig_roll["total"] == fig_raw["total"]
            and fig_roll["ytd"] == fig_raw["ytd"]
            and fig_roll["by_category"] == fig_raw["by_category"]
            and fig_roll["series"] == fig_raw["series"]
            and all(fig_roll["sparks"].get(k, [0] * 24) == v for k, v in fig_raw["sparks"].items())
        )
        roll_times.append(t_roll)
        raw_times.append(t_raw)
        sql_rolls.append(sql_roll)
        sql_raws.append(sql_raw)
        rows.append((code, t.name, fig_roll["total"], t_roll, t_raw, same, sql_roll, sql_raw))
    # The whole page (HTML, every panel) for a Kapolres of the first regency.
    code = rows[0][0]
    user, _ = User.objects.get_or_create(username="bench-kapolres")
    Posting.objects.get_or_create(
        user=user, role=Role.LEADER, territory=Territory.objects.get(code=code)
    )
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)  # leaders sign in with a second factor
    from django.core.cache import cache

    for _ in range(3):
        cache.clear()
        t0 = time.perf_counter()
        assert client.get(f"/analitik/?territory={code}").status_code == 200
        page_cold.append(time.perf_counter() - t0)
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/analitik/?territory={code}").status_code == 200
        page_times.append(time.perf_counter() - t0)
        queries_per_page = len(captured)
    roll_med, raw_med = statistics.median(roll_times), statistics.median(raw_times)
    out = [
        "### A Polres dashboard: roll-ups against raw incidents",
        "",
        f"For {len(rows)} regencies drawn at random: the CompStat table (month, previous month, "
        "same month last year, year to date, by category), the 36-month series behind the trend, "
        "and the 24-month sparkline of every district. *Roll-ups* reads the district/regency "
        "roll-up as the dashboard does (`analytics.queries.dashboard_counts`: ONE query, a UNION "
        "ALL of the regency's rows by category and month and its districts' rows by month, each "
        "on its covering index); *raw* computes the same figures from the incident table "
        "with `TruncMonth` GROUP BYs on its (regency_code, occurred_at) index. Medians of "
        f"{REPEAT} runs (raw: 3); the last column checks that both give identical figures. "
        "*Reads* is the time spent in the queries that read incident counts (execute and "
        "fetch; the category names, district names and population are the same reads either "
        "way and are left out), *figures* the whole computation including those.",
        "",
        "| regency | incidents this month | reads: roll-ups | reads: raw | reads speed-up | "
        "figures: roll-ups | figures: raw | same figures |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for code, name, total, t_roll, t_raw, same, q_roll, q_raw in rows:
        out.append(
            f"| {code} {name} | {total:,} | {ms(q_roll)} | {ms(q_raw)} | {q_raw / q_roll:.0f}x | "
            f"{ms(t_roll)} | {ms(t_raw)} | {'yes' if same else '**NO**'} |"
        )
    q_roll_med, q_raw_med = statistics.median(sql_rolls), statistics.median(sql_raws)
    big = [(r[6], r[7]) for r in rows if r[2] >= 600]
    big_ratio = (
        statistics.median(q_raw for _, q_raw in big) / statistics.median(q for q, _ in big)
        if big
        else float("nan")
    )
    speedup = q_raw_med / q_roll_med
    verdict = "**short of the target**" if speedup < 10 else "target met"
    if 10 <= speedup < 12:
        verdict += (
            ", but narrowly: on these shared cores the median ratio moves by about 1x from one "
            "run to the next, so a run may land just under 10x"
        )
    out += [
        "",
        f"Medians over the regencies. **Reads** (the count queries, the part that grows with "
        f"the data): **{ms(q_roll_med)} from roll-ups** against {ms(q_raw_med)} from raw "
        f"incidents, **{q_raw_med / q_roll_med:.1f}x faster**. **Figures** (reads plus the same "
        f"statistics on both sides: Poisson tests, Mann-Kendall, Python objects): "
        f"{ms(roll_med)} against {ms(raw_med)} ({raw_med / roll_med:.1f}x): past the reads, "
        "both paths pay the same fixed cost of the statistics.",
        "",
        f"Against the target of ten times: the reads are {q_raw_med / q_roll_med:.1f}x faster at "
        f"the median ({verdict})"
        f" and {big_ratio:.1f}x for the regencies with at least 600 incidents a month (the "
        "roll-up read stays near 1 ms whatever the size; the raw reads grow with it). Reading "
        "the three sets of counts in one query instead of three saves the round trips and the "
        "repeated planning, and the districts' rows come out of their covering index already "
        "ordered by (month, district), so they are summed as they stream (migration 0006). Most "
        "of what is left is the work of the server: the sparklines add up every district x "
        "category x month row of 24 months (about 3,000 index entries for a regency of 20 "
        "districts), and only a roll-up without the category (district x month totals) would "
        "remove that. The raw path here is a favourable case for it: the "
        "whole incident table sits in the machine's 23 GiB of RAM and its (regency_code, "
        "occurred_at) index is used; on a cold cache each raw read is thousands of scattered "
        "page reads from disk.",
        "",
        f"The whole dashboard page for Kapolres {rows[0][1]} (HTML with every panel: CompStat, "
        "trend fit, sparklines, early warning of its villages, desk and partnership figures, "
        f"coverage, participation; {queries_per_page} queries): median "
        f"**{ms(statistics.median(page_times))}** warm, {ms(statistics.median(page_cold))} with "
        "an empty cache (the early-warning panel is cached for 10 minutes).",
        "",
    ]
    return out


def models(end: datetime.date) -> list[str]:
    """The cost of the models a person waits for: a regency's trend, a province's evaluation."""
    from jaga.analytics import evaluation, queries
    from jaga.analytics.units import Unit
    from jaga.programs.models import Programme, ProgrammeAdoption
    from jaga.territory.models import Level, Territory

    print("  models …", flush=True)
    code = regencies()[0]
    t = Territory.objects.get(code=code)
    unit = Unit(code, t.name, [code], t.level, t)
    t_trend, tr = timed(lambda: queries.trend(unit, end))
    province = Territory.objects.get(code="35")
    villages = list(
        Territory.objects.filter(level=Level.VILLAGE, province_code="35").values_list(
            "id", flat=True
        )
    )
    programme, created = Programme.objects.get_or_create(code="BENCH", defaults={"name": "Bench"})
    if created:
        rng = np.random.default_rng(11)
        chosen = rng.choice(villages, size=len(villages) * 2 // 5, replace=False)
        months = [add_months(end, -k) for k in range(18, 6, -1)]
        ProgrammeAdoption.objects.bulk_create(
            [
                ProgrammeAdoption(programme=programme, village_id=int(v), adopted_on=months[i % 12])
                for i, v in enumerate(chosen)
            ],
            batch_size=5000,
        )
    p_unit = Unit("35", province.name, ["35"], province.level, province)
    t_eval, result = timed(lambda: evaluation.evaluate("BENCH", p_unit, end=end), repeat=3)
    # As the command runs it: the territory looked up, the result printed.
    t_cli, _ = timed(lambda: _evaluate_command(end), repeat=3)
    fit = tr["fit"]
    return [
        "### Models",
        "",
        "| what | size | median time | result |",
        "|---|---|---|---|",
        f"| trend (GLM with month dummies and population offset, Mann-Kendall) of {t.name} | "
        f"{len(tr['counts'])} months | {ms(t_trend)} | rate ratio/year "
        f"{fit.rate_ratio_per_year:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}] ({fit.family}) |",
        f"| programme evaluation (Callaway-Sant'Anna + ITS) in {province.name} | "
        f"{len(villages):,} villages, {result['n_treated']:,} adopting in 12 monthly cohorts | "
        f"{t_eval:.2f} s ({t_cli:.2f} s as `jaga analytics evaluate`) | ATT {result['att']:+.3f} [{result['ci_low']:+.3f}, "
        f"{result['ci_high']:+.3f}] (no effect planted), pre-trend p {result['pre_trend_p']:.2f} |",
        "",
    ]


def _evaluate_command(end: datetime.date) -> None:
    import io

    from django.core.management import call_command

    call_command(
        "analytics", "evaluate", "--programme", "BENCH", "--territory", "35",
        "--end", f"{end:%Y-%m}", stdout=io.StringIO(),
    )  # fmt: skip
