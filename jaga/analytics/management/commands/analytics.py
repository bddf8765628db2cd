from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.analytics import evaluation, services, warning
from jaga.analytics.units import Unit, last_complete_month, parse_month
from jaga.core.errors import DomainError
from jaga.core.numbers import say_number
from jaga.territory.models import Level, Territory


def unit_for(code: str | None) -> Unit:
    """The CLI runs as an operator: any territory (default: the whole loaded data)."""
    if code:
        try:
            t = Territory.objects.get(code=code)
        except Territory.DoesNotExist:
            raise CommandError(_("Unknown territory %(code)s.") % {"code": code}) from None
        return Unit(t.code, t.display_name, [t.code], t.level, t)
    codes = list(
        Territory.objects.filter(level=Level.PROVINCE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not codes:
        raise CommandError(_("No territory is loaded."))
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
                self.stdout.write(
                    _("Rebuild queued: task %(id)s (%(status)s).")
                    % {"id": queued.id, "status": queued.status}
                )
            elif action == "rebuild":
                run = services.rebuild_rollups(actor=None)
                for part, rows in run.rows.items():
                    self.stdout.write(
                        "  "
                        + ngettext("%(part)s: %(n)s row", "%(part)s: %(n)s rows", rows)
                        % {"part": part, "n": say_number(rows)}
                    )
                self.stdout.write(
                    self.style.SUCCESS(
                        _("Roll-ups rebuilt in %(s)s s.") % {"s": say_number(run.seconds, 1)}
                    )
                )
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
                self._alarms(options)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def _alarms(self, options: dict[str, Any]) -> None:
        """The alarms as JSON (the interface: keys and codes, untranslated) or as lines in the
        active language: Indonesian (LANGUAGE_CODE), as every command's output."""
        end = parse_month(options["end"]) or last_complete_month()
        report = warning.report(unit_for(options["territory"]), end)
        found = report["alarms"]
        if options["json"] and options["with_period"]:
            self.stdout.write(json.dumps(report, default=_default, indent=2))
            return
        if options["json"]:
            # The list stays the interface; the period read goes to stderr.
            self.stdout.write(json.dumps(found, default=_default, indent=2))
            self.stderr.write(report["period"]["reason"])
            return
        self.stdout.write(report["period"]["reason"])
        for a in found:
            self.stdout.write(
                _(
                    "%(start)s..%(end)s %(code)s %(village)s: %(category)s, %(observed)s "
                    "(expected %(expected)s), LLR %(statistic)s ≥ %(limit)s"
                )
                % {
                    "start": f"{a['month']:%Y-%m}",
                    "end": f"{a['end_month']:%Y-%m}",
                    "code": a["village_code"],
                    "village": a["village_name"],
                    "category": a["category_code"] or "*",
                    "observed": a["observed"],
                    "expected": say_number(a["expected"], 1),
                    "statistic": say_number(a["statistic"], 2),
                    "limit": say_number(a["limit"], 2),
                }
            )
        self.stdout.write(ngettext("%(n)s alarm.", "%(n)s alarms.", len(found)) % {"n": len(found)})

    def _print_evaluation(self, r: dict[str, Any]) -> None:
        w = self.stdout.write
        w(f"{r['programme']} · {r['programme_name']} · {r['territory']} {r['start']}..{r['end']}")
        w(
            _(
                "ATT %(att)s per village-month (95%% CI %(low)s .. %(high)s); %(treated)s "
                "adopting, %(control)s comparison villages"
            )
            % {
                "att": _signed(r["att"], 3),
                "low": _signed(r["ci_low"], 3),
                "high": _signed(r["ci_high"], 3),
                "treated": r["n_treated"],
                "control": r["n_control"],
            }
        )
        if r["att_pct"] is not None:
            w(
                _("= %(pct)s%% of the counterfactual mean %(mean)s")
                % {
                    "pct": _signed(r["att_pct"], 1),
                    "mean": say_number(r["counterfactual_mean"], 2),
                }
            )
        w(
            _("pre-trend p = %(joint)s (joint), %(slope)s (steady drift)")
            % {"joint": r["pre_trend_p"], "slope": r["pre_slope_p"]}
        )
        if r["breakdown"] is not None:
            w(_("breakdown (relative magnitudes) M = %(m)s") % {"m": say_number(r["breakdown"], 2)})
        for p in r["event_study"]:
            w(
                f"  e={p['e']:+3d}  {_signed(p['att'], 3)}  "
                f"[{_signed(p['ci_low'], 3)}, {_signed(p['ci_high'], 3)}]"
            )
        for text in r["statement"].values():
            if text:
                w(text)


def _signed(value: float, places: int) -> str:
    """A figure with its sign, in the active language ("+0,250", "-1,500")."""
    return ("+" if value >= 0 else "") + say_number(value, places, grouping=False)
