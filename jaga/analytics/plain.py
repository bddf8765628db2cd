"""The statistics said in plain words, for police readers; the figures stay one click away.

Each function turns one result of the analytics (a programme evaluation, a trend fit, hot spots,
early-warning alarms) into one whole translated sentence that leads the page or the Anev report;
the technical figures (ATT, intervals, p-values, Gi* z, CUSUM) go below it in a "Statistical
details" (Rincian statistik) fold. Numbers are rounded with `jaga.core.numbers`, villages are
counted with their plural forms ("1 desa", "12 villages").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jaga.analytics.evaluation import pre_trend_rejected
from jaga.core.numbers import say_number, say_percent


def villages(n: int) -> str:
    """'1 village' / '12 villages' (Indonesian: '12 desa')."""
    return ngettext("%(n)s village", "%(n)s villages", n) % {"n": say_number(n)}


def effect_in_words(result: Mapping[str, Any], programme: str) -> str:
    """A programme evaluation (staggered difference-in-differences) in one sentence."""
    att, lo, hi = result["att"], result["ci_low"], result["ci_high"]
    pct = result.get("att_pct")
    values = {
        "programme": programme,
        "treated": villages(int(result["n_treated"])),
        "never": villages(int(result.get("n_never", result["n_control"]))),
    }
    if hi < 0 or lo > 0:
        if pct is not None:
            values["amount"] = say_percent(abs(pct))
        else:
            values["amount"] = say_number(abs(att), 2)
        if hi < 0 and pct is not None:
            text = _(
                "Villages with the %(programme)s programme had about %(amount)s fewer "
                "disturbances than expected without it (%(treated)s with the programme, "
                "each compared with the villages not yet taking part that month; %(never)s never "
                "took part)."
            )
        elif hi < 0:
            text = _(
                "Villages with the %(programme)s programme had about %(amount)s fewer "
                "disturbances per village each month than expected without it (%(treated)s "
                "with the programme, each compared with the villages not yet taking part that "
                "month; %(never)s never took part)."
            )
        elif pct is not None:
            text = _(
                "Villages with the %(programme)s programme had about %(amount)s more "
                "disturbances than expected without it (%(treated)s with the programme, "
                "each compared with the villages not yet taking part that month; %(never)s never "
                "took part)."
            )
        else:
            text = _(
                "Villages with the %(programme)s programme had about %(amount)s more "
                "disturbances per village each month than expected without it (%(treated)s "
                "with the programme, each compared with the villages not yet taking part that "
                "month; %(never)s never took part)."
            )
        text = text % values
        if pre_trend_rejected(result):
            text += " " + _(
                "But before adoption these villages were already moving differently from the "
                "others, so this figure is doubtful."
            )
        return text
    return (
        _(
            "The figures cannot yet tell whether the %(programme)s programme changed the number "
            "of disturbances: the difference between %(treated)s with the programme and "
            "the villages not yet taking part (%(never)s never took part) is within chance."
        )
        % values
    )


def trend_in_words(fit: Any, place: str) -> str:
    """A fitted trend (count regression with the season allowed for) in one sentence."""
    if fit is None:
        return _("Too few months of figures to say whether disturbances are rising or falling.")
    values = {
        "place": place,
        "months": say_number(fit.months),
        "pct": say_percent(abs(fit.rate_ratio_per_year - 1) * 100),
    }
    if fit.direction == "falling":
        text = _(
            "Disturbances in %(place)s are falling: about %(pct)s fewer each year, over the "
            "last %(months)s months and with the season taken into account."
        )
    elif fit.direction == "rising":
        text = _(
            "Disturbances in %(place)s are rising: about %(pct)s more each year, over the last "
            "%(months)s months and with the season taken into account."
        )
    else:
        text = _(
            "Disturbances in %(place)s are neither clearly rising nor falling over the last "
            "%(months)s months."
        )
    return text % values


def hotspots_in_words(hot: Sequence[Mapping[str, Any]], weeks: int, total: int = 0) -> str:
    """Hot spots (Getis-Ord Gi*) in one sentence: how many (`total` when `hot` is only the first
    of them), and the hottest place."""
    if not hot:
        return _("No place stands out from its surroundings in the last %(weeks)s weeks.") % {
            "weeks": weeks
        }
    top = max(hot, key=lambda c: c.get("z") or 0)
    return ngettext(
        "%(n)s place has clearly more incidents than its surroundings in the last %(weeks)s "
        "weeks: %(place)s, with %(count)s incidents.",
        "%(n)s places have clearly more incidents than their surroundings in the last "
        "%(weeks)s weeks; the hottest is %(place)s, with %(count)s incidents.",
        max(total, len(hot)),
    ) % {
        "n": say_number(max(total, len(hot))),
        "weeks": weeks,
        "place": top.get("village_name") or _("an unnamed place"),
        "count": say_number(top.get("count") or 0),
    }


def alarms_in_words(alarms: Sequence[Mapping[str, Any]]) -> str:
    """Early-warning alarms in one sentence: in how many villages something is above usual."""
    return ongoing_villages_in_words(len({a["village_code"] for a in alarms if a.get("ongoing")}))


def ongoing_villages_in_words(n: int) -> str:
    """`alarms_in_words` from the number of villages with an ongoing alarm."""
    if not n:
        return _("Every village is within its usual range of disturbances right now.")
    return ngettext(
        "In %(n)s village a kind of disturbance is above its usual level right now.",
        "In %(n)s villages a kind of disturbance is above its usual level right now.",
        n,
    ) % {"n": say_number(n)}
