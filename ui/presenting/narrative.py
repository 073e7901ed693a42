"""The guided tour's narrative: for each step (one more lever on), what the lever does, what changed in
the line's numbers and why, in plain words with the model's own numbers. Every step is a paired
comparison with the step before it (same replications, same random numbers), so a change the noise
could explain is called so.

Pure (numbers in, Markdown sentences out, no Streamlit): the Trainer page (ui/views/trainer.py) and
the HTML report (ui/presenting/report.py) both read it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

import twin
from ui.computing import results
from ui.presenting import escape, kpis
from ui.presenting.units import duration_text

STEP_KPIS = ("throughput_per_hour", "oee", "unplanned_downtime_share", "cpk", "scrap_rate",
             "escaped_ppm", "changeover_share", "lead_time_min", "energy_kwh_per_good_part",
             "cost_per_good_part")


@dataclass(frozen=True)
class Change:
    kpi: str
    before: float
    after: float
    delta: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high) and (self.low > 0 or self.high < 0)


def change(before: twin.Results, after: twin.Results, kpi: str) -> Change | None:
    """Paired difference of `kpi` between two runs on the same replications, with a 95% t-interval."""
    if kpi not in before.kpis or kpi not in after.kpis:
        return None
    a = before.kpis[kpi].to_numpy(dtype=float)
    b = after.kpis[kpi].to_numpy(dtype=float)
    mask = np.isfinite(a) & np.isfinite(b)
    if not mask.any():
        return None
    d = b[mask] - a[mask]
    mean = float(d.mean())
    if len(d) > 1:
        from scipy import stats  # imported on first use: it takes seconds on a cold start

        half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))
    else:
        half = math.nan
    return Change(kpi, float(a[mask].mean()), float(b[mask].mean()), mean, mean - half, mean + half)


def moved(c: Change, currency: str = "") -> str:
    """'rose from 8.65 /h to 9.40 /h (+0.75 /h, 95% CI [+0.61, +0.89])' or 'stayed at …'."""
    before = kpis.value_text(c.kpi, c.before, currency)
    after = kpis.value_text(c.kpi, c.after, currency)
    ci = f"95% CI [{kpis.delta_text(c.kpi, c.low, currency)}, {kpis.delta_text(c.kpi, c.high, currency)}]"
    if not c.clear:
        return f"stayed about where it was ({before} → {after}; the {ci} includes zero)"
    verb = "rose" if c.delta > 0 else "fell"
    return f"{verb} from {before} to {after} ({kpis.delta_text(c.kpi, c.delta, currency)}, {ci})"


def _names(stations: list[str] | None, fallback: str) -> str:
    return ", ".join(escape.markdown(s) for s in stations) if stations else fallback


def what_it_does(lever: str, study: twin.Study) -> str:
    cfg = getattr(study.levers, lever)
    if lever == "predictive_maintenance":
        return (f"A condition monitor now sees about **{cfg.recall:.0%} of failures coming**, "
                f"{duration_text(cfg.lead_time)} ahead. Each one it catches becomes a planned stop that "
                f"takes {cfg.planned_repair_factor:.0%} of the usual repair time, because parts and people "
                f"are ready; it also raises {cfg.false_alarms_per_week:g} false alarms a week per machine.")
    if lever == "closed_loop_quality":
        where = _names(cfg.stations, "every station that shapes a characteristic")
        return (f"In-line probes now **measure every part** at {where} and feed an offset correction "
                f"back to the machine after each one (gain {cfg.gain:g}), so tool wear is corrected as it "
                f"happens instead of at the next tool change; better fixturing cuts the short-term "
                f"scatter to {cfg.sigma_factor:.0%}.")
    if lever == "automation":
        where = _names(cfg.stations, "no station (none named)")
        saved = f" and frees {cfg.operators_saved} operator(s)" if cfg.operators_saved else ""
        return (f"Automated handling at {where} makes the cycle **{1 - cfg.mean_factor:.0%} faster** and "
                f"its variability {1 - cfg.cv_factor:.0%} smaller{saved}.")
    if lever == "quick_changeover":
        return (f"SMED and digital setup sheets cut every changeover and tool change to "
                f"**{cfg.setup_factor:.0%} of its time**.")
    if lever == "energy_management":
        return (f"Machines that are starved or blocked now **go to sleep**: idle power drops to "
                f"{cfg.idle_power_factor:.0%}.")
    return twin.LEVER_LABELS.get(lever, lever)


FOCUS = {
    "predictive_maintenance": (("unplanned_downtime_share", "Unplanned downtime"),
                               ("oee", "OEE")),
    "closed_loop_quality": (("cpk", "Cpk"), ("scrap_rate", "Scrap"), ("escaped_ppm", "Defects reaching "
                                                                                      "the customer")),
    "automation": (("lead_time_min", "Lead time"), ("oee", "OEE")),
    "quick_changeover": (("changeover_share", "Time in changeovers"), ("oee", "OEE")),
    "energy_management": (("energy_kwh_per_good_part", "Energy per good part"),),
}


def explain(lever: str, before: twin.Results, after: twin.Results, study: twin.Study) -> list[str]:
    """Plain-words paragraphs for one step of the tour, from the model's numbers: Markdown, with
    every name and the currency escaped (the page and the report both render it)."""
    currency = escape.markdown(study.line.costs.currency) if study.line.costs is not None else ""
    out = [what_it_does(lever, study)]
    focus = []
    for kpi, text in FOCUS.get(lever, ()):
        c = change(before, after, kpi)
        if c is not None:
            focus.append(f"{text} {moved(c, currency)}.")
    if focus:
        out.append("**What changed.** " + " ".join(focus))
    headline = []
    c = change(before, after, "throughput_per_hour")
    if c is not None:
        headline.append(f"Good parts per hour {moved(c, currency)}.")
    c = change(before, after, "cost_per_good_part")
    if c is not None:
        headline.append(f"Cost per good part {moved(c, currency)}.")
    (neck0, often0), (neck1, often1) = ((escape.markdown(n["station"]), n["frequency"])
                                        for n in (before.bottleneck(), after.bottleneck()))
    if neck0 != neck1:
        headline.append(f"The bottleneck **moved from {neck0} to {neck1}** (in {often1:.0%} of the runs): "
                        f"that is where the next improvement pays.")
    else:
        headline.append(f"The bottleneck is still **{neck0}** (in {often1:.0%} of the runs, {often0:.0%} "
                        f"before): the line can only go as fast as it does.")
    out.append("**Why it matters.** " + " ".join(headline))
    cfg = getattr(study.levers, lever)
    if currency and (cfg.capex or cfg.opex_per_year):
        out.append(f"*It costs {cfg.capex:,.0f} {currency} up front and {cfg.opex_per_year:,.0f} "
                   f"{currency} a year, written off over {cfg.life_years:g} years in the cost per part.*")
    return out


def step_table(before: twin.Results, after: twin.Results, currency: str) -> pd.DataFrame:
    rows = []
    for kpi in STEP_KPIS:
        c = change(before, after, kpi)
        if c is None or (c.before == 0 and c.after == 0):
            continue
        rows.append({"KPI": kpis.label(kpi), "before": kpis.value_text(kpi, c.before, currency),
                     "after": kpis.value_text(kpi, c.after, currency),
                     "Δ": kpis.delta_text(kpi, c.delta, currency) + ("" if c.clear else " (n.s.)")})
    return pd.DataFrame(rows)


def label(step: str) -> str:
    return "Conventional" if not step else twin.LEVER_LABELS.get(step, step)


def narrative(tour: results.TourBundle) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) for every step after the conventional line (for the report)."""
    out = []
    for index in range(1, len(tour.steps)):
        title = f"Step {index}: + {label(tour.steps[index])}"
        out.append((title, explain(tour.steps[index], tour.results[index - 1], tour.results[index],
                                   tour.study)))
    return out
