"""Charts of the risk register as SVG, drawn on the server by matplotlib like the funding and
facility charts: the heat map (likelihood up, impact across, each cell coloured by its band
and showing how many risks sit there) and the score of one risk over its assessments
against the bands. Each comes with a text alternative giving the same figures, for pages
and reports. Text stays text in the SVG and the output carries no date, so the same
figures give the same bytes."""

from __future__ import annotations

from coalition.common.charts import PYPLOT_LOCK, pyplot, svg
from coalition.risks import rules
from coalition.risks.schemas import HeatMapOut, RiskOut

#: Fill of each band, light enough for black text; the legend and the text alternative
#: name the bands, so colour is never the only carrier.
COLOURS = {
    rules.Band.LOW: "#cfe8d2",
    rules.Band.MEDIUM: "#fff1b8",
    rules.Band.HIGH: "#f8c78a",
    rules.Band.CRITICAL: "#f09a94",
}


def _scope(heat: HeatMapOut) -> str:
    if heat.project and heat.work_package:
        return f"{heat.project} {heat.work_package}"
    return heat.project or "all projects"


def heat_map_text(heat: HeatMapOut) -> str:
    """The heat map in words: the total, per band, and every cell that holds a risk."""
    scope = _scope(heat)
    if not heat.total:
        return f"Risk heat map of {scope}: no live risk."
    bands = ", ".join(f"{count} {band}" for band, count in heat.by_band.items())
    cells = "; ".join(
        f"likelihood {c.likelihood}, impact {c.impact} (score {c.score}, {c.band}): {c.count}"
        for c in heat.cells
        if c.count
    )
    return f"Risk heat map of {scope}: {heat.total} live risk(s), {bands}. {cells}."


def heat_map_chart(heat: HeatMapOut) -> str:
    title = f"Risk heat map, {_scope(heat)}"
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(4.8, 4.2))
        try:
            for cell in heat.cells:
                band = rules.Band(cell.band)
                axes.add_patch(
                    plt.Rectangle(
                        (cell.impact - 0.5, cell.likelihood - 0.5),
                        1,
                        1,
                        facecolor=COLOURS[band],
                        edgecolor="#ffffff",
                        linewidth=2,
                    )
                )
                axes.text(
                    cell.impact,
                    cell.likelihood,
                    str(cell.count) if cell.count else "",
                    ha="center",
                    va="center",
                    fontsize=12,
                    fontweight="bold",
                )
            axes.set_xlim(0.5, 5.5)
            axes.set_ylim(0.5, 5.5)
            axes.set_xticks(list(rules.RATINGS))
            axes.set_yticks(list(rules.RATINGS))
            axes.set_xlabel("impact")
            axes.set_ylabel("likelihood")
            axes.set_aspect("equal")
            axes.set_title(f"{title} ({heat.total} live)")
            handles = [plt.Rectangle((0, 0), 1, 1, facecolor=COLOURS[band]) for band in rules.Band]
            axes.legend(
                handles,
                [band.value for band in rules.Band],
                fontsize=7,
                ncols=4,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.15),
            )
            return svg(figure, title)
        finally:
            plt.close(figure)


def trend_text(risk: RiskOut) -> str:
    steps = "; ".join(f"{a.assessed_on} {a.score} ({a.band}, {a.status})" for a in risk.history)
    return f"Score of risk {risk.reference} at each assessment: {steps}. Trend: {risk.trend}."


def trend_chart(risk: RiskOut) -> str:
    """The score at each assessment (in order: a day may see several), over the bands."""
    title = f"Score of risk {risk.reference}"
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(6.5, 3.0))
        try:
            bottom = 0.5
            for top, band in rules.BAND_TOPS:
                axes.axhspan(bottom, top + 0.5, color=COLOURS[band], zorder=0, label=band.value)
                bottom = top + 0.5
            positions = list(range(len(risk.history)))
            axes.plot(
                positions,
                [a.score for a in risk.history],
                marker="o",
                color="#14243b",
                zorder=2,
            )
            axes.set_xticks(
                positions,
                [f"{a.assessed_on:%d %b %Y}" for a in risk.history],
                rotation=30,
                ha="right",
            )
            axes.set_xlim(-0.5, max(len(positions) - 0.5, 0.5))
            axes.set_ylim(0.5, 25.5)
            axes.set_yticks([1, 4, 9, 16, 25])
            axes.set_ylabel("score (likelihood x impact)")
            axes.set_title(title)
            axes.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.4))
            return svg(figure, title)
        finally:
            plt.close(figure)
