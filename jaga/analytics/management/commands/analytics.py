from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jaga.analytics import evaluation, services, warning
from jaga.analytics.units import Unit, last_complete_month, parse_month
from jaga.core.errors import DomainError
from jaga.territory.models import Level, Territory


def unit_for(code: str | None) -> Unit:
    """The CLI runs as an operator: any territory (default: the whole loaded data)."""
    if code:
        try:
            t = Territory.objects.get(code=code)
        except Territory.DoesNotExist:
            raise CommandError(f"Unknown territory {code}") from None
        return Unit(t.code, t.display_name, [t.code], t.level, t)
    codes = list(
        Territory.objects.filter(level=Level.PROVINCE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not codes:
        raise CommandError("No territory is loaded.")
    return Unit("*", "Indonesia", codes, "country")


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(type(value))


class Command(BaseCommand):
    help = "Analytics: rebuild the roll-ups, evaluate a programme, list early-warning alarms."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rb = sub.add_parser("rebuild", help="Rebuild every monthly roll-up from the records.")
        rb.add_argument(
            "--background", action="store_true", help="Queue it for the task worker instead."
        )
        ev = sub.add_parser("evaluate", help="Evaluate a programme's effect on incidents.")
        ev.add_argument("--programme", required=True)
        ev.add_argument("--territory")
        ev.add_argument("--category")
        ev.add_argument("--end", help="Last month, YYYY-MM (default: last complete month)")
        ev.add_argument("--json", action="store_true")
        al = sub.add_parser("alarms", help="Early-warning alarms (Poisson likelihood-ratio scan).")
        al.add_argument("--territory")
        al.add_argument("--end", help="Last month, YYYY-MM")
        al.add_argument("--json", action="store_true")
        al.add_argument(
            "--with-period",
            action="store_true",
            help="With --json: an object {period, alarms} instead of the list of alarms.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "rebuild" and options["background"]:
                from jaga.analytics.tasks import rebuild_rollups_task

                queued = rebuild_rollups_task.enqueue()
                self.stdout.write(f"Rebuild queued: task {queued.id} ({queued.status}).")
            elif action == "rebuild":
                run = services.rebuild_rollups(actor=None)
                for part, rows in run.rows.items():
                    self.stdout.write(f"  {part}: {rows} rows")
                self.stdout.write(self.style.SUCCESS(f"Roll-ups rebuilt in {run.seconds:.1f} s."))
            elif action == "evaluate":
                result = evaluation.evaluate(
                    options["programme"],
                    unit_for(options["territory"]),
                    options["category"],
                    parse_month(options["end"]),
                )
                if options["json"]:
                    result.pop("group_time", None)
                    self.stdout.write(json.dumps(result, default=_default, indent=2))
                else:
                    self._print_evaluation(result)
            else:
                end = parse_month(options["end"]) or last_complete_month()
                unit = unit_for(options["territory"])
                report = warning.report(unit, end)
                found = report["alarms"]
                if options["json"] and options["with_period"]:
                    self.stdout.write(json.dumps(report, default=_default, indent=2))
                elif options["json"]:
                    # The list stays the interface; the period read goes to stderr.
                    self.stdout.write(json.dumps(found, default=_default, indent=2))
                    self.stderr.write(report["period"]["reason"])
                else:
                    self.stdout.write(report["period"]["reason"])
                    for a in found:
                        self.stdout.write(
                            f"{a['month']:%Y-%m}..{a['end_month']:%Y-%m} {a['village_code']} "
                            f"{a['village_name']}: {a['category_code'] or '*'} {a['observed']} "
                            f"(expected {a['expected']:.1f}), "
                            f"LLR {a['statistic']:.2f} >= {a['limit']:.2f}"
                        )
                    self.stdout.write(f"{len(found)} alarms.")
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def _print_evaluation(self, r: dict[str, Any]) -> None:
        w = self.stdout.write
        w(f"{r['programme']} · {r['programme_name']} · {r['territory']} {r['start']}..{r['end']}")
        w(
            f"ATT {r['att']:+.3f} per village-month (95% CI {r['ci_low']:+.3f} .. "
            f"{r['ci_high']:+.3f}); {r['n_treated']} adopting, {r['n_control']} comparison villages"
        )
        if r["att_pct"] is not None:
            w(f"= {r['att_pct']:+.1f}% of the counterfactual mean {r['counterfactual_mean']:.2f}")
        w(f"pre-trend p = {r['pre_trend_p']} (joint), {r['pre_slope_p']} (steady drift)")
        if r["breakdown"] is not None:
            w(f"breakdown (relative magnitudes) M = {r['breakdown']:.2f}")
        for p in r["event_study"]:
            w(f"  e={p['e']:+3d}  {p['att']:+.3f}  [{p['ci_low']:+.3f}, {p['ci_high']:+.3f}]")
        for text in r["statement"].values():
            if text:
                w(text)
