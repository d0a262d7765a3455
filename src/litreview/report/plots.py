"""Figures: forest plots, the evidence map, verdicts by certainty, the PRISMA flow diagram.

Every function returns a matplotlib Figure and draws nothing else; colours are fixed here
so the notebooks and the report agree.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd
from matplotlib.patches import FancyBboxPatch

from ..collect.prisma import PrismaCounts
from ..grade.grading import LEVELS
from ..tables.schema import AMSTAR2_DOMAINS, RATIO_MEASURES, ROB2_DOMAINS, VERDICTS
from ..tables.words import counted

DIRECTION_COLOURS = {"supports": "#2e7d32", "mixed": "#f9a825", "no-effect": "#757575", "contradicts": "#c62828"}
# one colour per verdict of the schema, in its order: the verdict chart drops none (the scale's two
# families side by side: greens and teals hold, amber and purple are in between, reds and pinks fail)
VERDICT_COLOURS = {"supported": "#2e7d32", "accurate description": "#00796b", "partly supported": "#9ccc65",
                   "partly accurate description": "#80cbc4", "overstated": "#ffb300", "disputed": "#8e24aa",
                   "unsupported": "#bdbdbd", "contradicted": "#c62828", "inaccurate description": "#f06292",
                   "not testable": "#90a4ae"}
assert tuple(VERDICT_COLOURS) == VERDICTS, "every verdict of the schema needs a colour, in the schema's order"


def _clean(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)


def forest(rows: pd.DataFrame, title: str = "", pooled=None):
    """Reported estimates with 95% intervals, one line per evidence row, on a log axis for
    ratio measures; a diamond for each pooled estimate. ``rows`` needs ``evidence_id``,
    ``claim_id``, ``study_key``, ``effect_measure``, ``effect``, ``ci_low``, ``ci_high``,
    ``direction``."""
    rows = rows.dropna(subset=["effect"]).sort_values(["effect_measure", "claim_id", "effect"])
    measures = list(dict.fromkeys(rows["effect_measure"]))
    heights = [max(1.2, 0.32 * (len(rows[rows["effect_measure"] == m]) + 1.5)) for m in measures]
    fig, axes = plt.subplots(len(measures), 1, figsize=(7.5, sum(heights) + 0.4), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, m in zip(axes[:, 0], measures):
        part = rows[rows["effect_measure"] == m].reset_index(drop=True)
        ys = list(range(len(part), 0, -1))
        for y, r in zip(ys, part.itertuples()):
            colour = DIRECTION_COLOURS.get(r.direction, "#333")
            ax.plot([r.ci_low, r.ci_high], [y, y], color=colour, lw=1.6)
            ax.plot(r.effect, y, "s", color=colour, ms=5)
        labels = [f"{r.claim_id} {r.study_key} ({r.evidence_id})" for r in part.itertuples()]
        ax.set_yticks(ys, labels, fontsize=7.5)
        null = 1 if m in RATIO_MEASURES else 0
        ax.axvline(null, color="#555", lw=0.8, ls="--")
        if m in RATIO_MEASURES:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        for p in pooled or []:
            if p.measure == m:
                ax.fill([p.ci_low, p.estimate, p.ci_high, p.estimate], [0.3, 0.55, 0.3, 0.05], color="#1a237e")
        ax.set_ylim(-0.2 if pooled else 0.3, len(part) + 0.7)
        ax.set_xlabel({"SMD": "standardised mean difference", "MD": "mean difference (outcome units)",
                       "RR": "risk ratio", "OR": "odds ratio", "HR": "hazard ratio",
                       "RD": "risk difference"}.get(m, m), fontsize=8.5)
        _clean(ax)
    if title:
        fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def evidence_map(evidence: pd.DataFrame, claims: pd.DataFrame):
    """Claims (rows) against studies (columns): colour = direction, size = participants."""
    ev = evidence.copy()
    claim_order = [c for c in claims["claim_id"] if c in set(ev["claim_id"])]
    study_order = list(ev.groupby("study_key")["claim_id"].min().sort_values().index)
    cx = {c: i for i, c in enumerate(claim_order)}
    sx = {s: i for i, s in enumerate(study_order)}
    fig, ax = plt.subplots(figsize=(min(24, 3 + 0.085 * len(study_order)), 1.5 + 0.2 * len(claim_order)))
    n = ev["n"].astype(float).fillna(20).clip(lower=5)
    sizes = 8 + 60 * (n.apply(math.log10) / math.log10(max(n.max(), 10)))
    for direction, colour in DIRECTION_COLOURS.items():
        part = ev["direction"] == direction
        ax.scatter([sx[s] for s in ev.loc[part, "study_key"]], [cx[c] for c in ev.loc[part, "claim_id"]],
                   s=sizes[part], c=colour, alpha=0.85, label=direction, edgecolors="white", linewidths=0.4)
    ax.set_yticks(range(len(claim_order)), claim_order, fontsize=6.5)
    ax.set_xticks([])
    ax.set_xlabel(f"{len(study_order)} studies, in order of the first claim they inform", fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="y", color="#eee", lw=0.5)
    ax.legend(title="direction", fontsize=7, title_fontsize=7, frameon=False, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    _clean(ax)
    fig.tight_layout()
    return fig


def verdicts_by_certainty(grades: pd.DataFrame):
    """Stacked bars: number of claims per certainty level, split by verdict."""
    g = grades.assign(certainty=grades["certainty"].fillna("not graded"))
    order = [*reversed(LEVELS), "not graded"]
    table = pd.crosstab(g["certainty"], g["verdict"]).reindex(index=order, fill_value=0)
    table = table[[v for v in VERDICT_COLOURS if v in table.columns]]
    fig, ax = plt.subplots(figsize=(7.6, 2.8))
    left = pd.Series(0, index=table.index)
    for verdict in table.columns:
        ax.barh(table.index, table[verdict], left=left, color=VERDICT_COLOURS[verdict], label=verdict)
        left += table[verdict]
    for y, total in enumerate(left):
        if total:
            ax.annotate(str(int(total)), (total, y), xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=8)  # beside its bar whatever the scale
    ax.set_xlim(0, max(1, left.max()) * 1.1)  # room for the longest bar's count before the legend
    ax.invert_yaxis()
    ax.set_xlabel("claims")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))  # whole claims
    ax.legend(fontsize=7.5, frameon=False, loc="center left", bbox_to_anchor=(1.02, 0.5))  # beside, over no bar
    _clean(ax)
    fig.tight_layout()
    return fig


def prisma_flow(c: PrismaCounts):
    """A PRISMA 2020-style flow diagram with the computed counts (Page et al. 2021, BMJ
    372:n71, the flow diagram for new reviews that searched databases): identification,
    screening with the full-text boxes (reports sought, not retrieved, assessed, excluded),
    and inclusion. A review that recorded no full-text decisions says so in those boxes."""
    fig, ax = plt.subplots(figsize=(7.2, 8.0))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 15)
    ax.axis("off")

    def box(x, y, w, h, text, fc="#f5f7fb"):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.08", fc=fc, ec="#37474f", lw=0.9))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8, wrap=True)

    def arrow(x1, y1, x2, y2):
        ax.annotate("", xy=(x2, y2), xytext=(x1, y1), arrowprops=dict(arrowstyle="->", color="#37474f", lw=0.9))

    def listed(reasons: dict[str, int]) -> str:
        return "".join(f"\n{k}: {v}" for k, v in list(reasons.items())[:6])

    full_text = c.reports_sought > 0
    none = "" if full_text else "\n(no full-text decisions recorded)"
    # each box lists the reasons of the records that left at its stage
    excluded = f"Excluded after assessment\n{c.excluded_at_title_abstract}\n{listed(c.title_abstract_reasons)}"
    reports_excluded = f"Reports excluded\n{c.reports_excluded}" + (
        f"\n{listed(c.full_text_reasons)}" if c.full_text_reasons else "")
    # (left text, right text, left height, right height, left colour) per row, top to bottom
    rows = [
        (f"Records identified\n{counted(c.searches, 'search', 'searches')}, {counted(c.identified, 'record')}",
         f"Excluded on title\n{c.excluded_on_title}" + (f"\n\nNot yet screened\n{c.not_yet_screened}"
                                                        if c.imports else ""),
         1.1, 1.9 if c.imports else 1.1, "#f5f7fb"),
        (f"Read beyond the title\n{c.screening_rows} readings of\n{c.assessed} distinct records",
         f"Duplicates removed\n(on import, or met in\nseveral searches)\n{c.duplicates}", 1.3, 1.3, "#f5f7fb"),
        (f"Records assessed\n(title and abstract)\n{c.assessed}", excluded, 1.2, 2.4, "#f5f7fb"),
        (f"Reports sought for retrieval\n{c.reports_sought}{none}", f"Reports not retrieved\n{c.reports_not_retrieved}",
         1.1, 1.1, "#f5f7fb"),
        (f"Reports assessed for eligibility\n{c.reports_assessed}{none}", reports_excluded, 1.1,
         2.0 if c.full_text_reasons else 1.1, "#f5f7fb"),
        (f"Included\n{counted(c.included_records, 'record')}\n"
         f"{counted(c.studies_in_review, 'study', 'studies')} in the evidence table", "", 1.3, 0,
         "#eef7ee"),
    ]
    y, centres = 14.7, []
    for left, right, lh, rh, colour in rows:
        height = max(lh, rh)
        middle = y - height / 2
        box(0.3, middle - lh / 2, 5.2, lh, left, fc=colour)
        if right:
            box(6.3, middle - rh / 2, 3.4, rh, right, fc="#fbeeee")
            arrow(5.5, middle, 6.3, middle)
        centres.append((middle, lh))
        y -= height + 0.75
    for (m1, h1), (m2, h2) in zip(centres, centres[1:]):
        arrow(2.9, m1 - h1 / 2, 2.9, m2 + h2 / 2)
    ax.set_ylim(y + 0.4, 15)
    for (top, bottom), label in (((0, 0), "Identification"), ((1, 4), "Screening"), ((5, 5), "Included")):
        ax.text(-0.2, (centres[top][0] + centres[bottom][0]) / 2, label, rotation=90, va="center", ha="center",
                fontsize=8, color="#37474f")
    fig.tight_layout()
    return fig


ROB_COLOURS = {"low": "#2e7d32", "yes": "#2e7d32", "some-concerns": "#f9a825", "partial-yes": "#f9a825",
               "high": "#c62828", "no": "#c62828"}
ROB_SYMBOLS = {"low": "+", "yes": "+", "some-concerns": "−", "partial-yes": "−", "high": "×", "no": "×"}


def rob_traffic_lights(rob: pd.DataFrame, overall: dict[str, str]):
    """Studies (rows) × risk-of-bias domains (columns), one coloured light per judgement,
    plus the derived overall judgement. Trials (RoB 2) first, then reviews (AMSTAR 2), then
    the rest."""
    tools = {"rob2": 0, "amstar2": 1, "design": 2}
    studies = (rob.drop_duplicates("study_key").assign(t=lambda d: d["tool"].map(tools))
               .sort_values(["t", "study_key"])["study_key"].tolist())
    # only the domains some study was judged on (AMSTAR 2's item 7 may be recorded by none)
    present = set(rob["domain"])
    rob2 = [d for d in ROB2_DOMAINS if d in present]
    amstar2 = [d for d in AMSTAR2_DOMAINS if d in present]
    domains = rob2 + amstar2 + ["overall"]
    fig, ax = plt.subplots(figsize=(7.5, 0.8 + 0.2 * len(studies)))
    for y, key in enumerate(studies):
        rows = rob[rob["study_key"] == key].set_index("domain")["judgement"]
        for x, d in enumerate(domains):
            j = overall.get(key) if d == "overall" else rows.get(d)
            if j is None or (d == "overall" and j is None):
                continue
            ax.scatter(x, y, s=90, c=ROB_COLOURS.get(j, "#999"), edgecolors="white")
            ax.text(x, y, ROB_SYMBOLS.get(j, "?"), ha="center", va="center", color="white", fontsize=7,
                    fontweight="bold")
    ax.set_xticks(range(len(domains)), [d.replace("-", " ") for d in domains], rotation=40, ha="right", fontsize=7)
    ax.set_yticks(range(len(studies)), studies, fontsize=6.5)
    ax.axvline(len(rob2) - 0.5, color="#ccc", lw=0.6)
    ax.axvline(len(rob2) + len(amstar2) - 0.5, color="#ccc", lw=0.6)
    ax.set_xlim(-0.6, len(domains) - 0.4)
    ax.invert_yaxis()
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig
