"""Charts of a report, drawn by matplotlib under the one pyplot lock: PNG for the PDF, SVG for
the page (shown as an image, as the risk charts are: the site's content security policy
refuses the inline styles of an SVG in the page itself). Each chart has a text alternative
giving the same figures. Only charts with something to show are drawn; the risk heat map
is the risk register's own (coalition.risks.charts) on the page and a table in the PDF."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coalition.common.charts import PYPLOT_LOCK, pyplot, svg
from coalition.policy.engine import LEVEL_NAMES
from coalition.reports.schemas import (
    FundingSection,
    PlanSummary,
    ReleaseSection,
    ReportContent,
    Spend,
)

#: Colours that stay apart in grey and for the common colour deficiencies.
BLUE, ORANGE, GREY, RED = "#1f5f99", "#e08a1e", "#8c8c8c", "#b3261e"
#: One per level of the common scale, UNCLASSIFIED (lightest) to TOP SECRET.
LEVEL_COLOURS = ["#cfe3f5", "#8fbde3", "#4a8fcf", "#1f5f99", "#0d2d4d"]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    #: The same figures in words: the image's alternative text.
    text: str
    draw: Callable[[Any, Any], None]
    size: tuple[float, float] = (6.5, 3.0)


def _draw(chart: Chart, write: Callable[[Any], Any]) -> Any:
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=chart.size)
        try:
            chart.draw(plt, axes)
            axes.set_title(chart.title)
            return write(figure)
        finally:
            plt.close(figure)


def as_png(chart: Chart) -> bytes:
    def write(figure: Any) -> bytes:
        buffer = io.BytesIO()
        figure.savefig(
            buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None}
        )
        return buffer.getvalue()

    found: bytes = _draw(chart, write)
    return found


def as_svg(chart: Chart) -> str:
    found: str = _draw(chart, lambda figure: svg(figure, chart.title))
    return found


def charts_of(content: ReportContent) -> list[Chart]:
    found = [progress_chart(content.progress.summary)]
    spend = content.progress.spend
    if spend is not None and spend.by_month:
        found.append(spend_chart(spend))
    if content.releases.counts:
        found.append(releases_chart(content.releases))
    if content.funding.nations and any(
        n.contributed_to_date or n.workshare_to_date for n in content.funding.nations
    ):
        found.append(balance_chart(content.funding))
    return found


def progress_chart(s: PlanSummary, due: str = "due in the period") -> Chart:
    groups = ("Milestones", "Deliverables")
    series = (
        (due, (s.milestones_due, s.deliverables_due), BLUE),
        ("achieved / delivered", (s.milestones_achieved, s.deliverables_delivered), ORANGE),
        ("late at the end", (s.milestones_late, s.deliverables_late), RED),
    )
    text = (
        f"Milestones: {s.milestones_due} {due}, {s.milestones_achieved} achieved "
        f"({s.milestones_on_time} on time), {s.milestones_late} late at the end. "
        f"Deliverables: {s.deliverables_due} {due}, {s.deliverables_delivered} delivered, "
        f"{s.deliverables_late} late at the end."
    )

    def draw(plt: Any, axes: Any) -> None:
        width = 0.25
        for i, (name, values, colour) in enumerate(series):
            positions = [g + (i - 1) * width for g in range(len(groups))]
            bars = axes.bar(positions, values, width, label=name, color=colour)
            axes.bar_label(bars, fontsize=8)
        axes.set_xticks(range(len(groups)), groups)
        axes.set_ylabel("items")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))

    return Chart("progress", "Milestones and deliverables against plan", text, draw)


def spend_chart(spend: Spend) -> Chart:
    months = [p.month for p in spend.by_month]
    actual = [float(p.actual_to_date) for p in spend.by_month]
    budget = float(spend.total.budget)
    steps = "; ".join(f"{p.month} {p.actual_to_date}" for p in spend.by_month)
    text = (
        f"Actual spend to date by month, in {spend.currency}: {steps}. Budget "
        f"{spend.total.budget}, planned to date {spend.total.planned_to_date}."
    )

    def draw(plt: Any, axes: Any) -> None:
        axes.plot(months, actual, marker="o", color=BLUE, label="actual to date")
        axes.axhline(budget, color=GREY, linestyle="--", label="budget")
        axes.axhline(
            float(spend.total.planned_to_date), color=ORANGE, linestyle=":", label="planned to date"
        )
        axes.set_ylabel(spend.currency)
        axes.set_ylim(bottom=0)
        axes.tick_params(axis="x", rotation=30)
        axes.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.3))

    return Chart("spend", f"Spend against plan ({spend.currency})", text, draw)


def releases_chart(section: ReleaseSection) -> Chart:
    counts = {(c.nation, c.level): c.items for c in section.counts}
    text = (
        "Items released in the period by recipient nation and level: "
        + "; ".join(f"{c.nation} {c.level} {c.items}" for c in section.counts)
        + "."
    )

    def draw(plt: Any, axes: Any) -> None:
        bottom = [0] * len(section.nations)
        for level in section.levels:
            values = [counts.get((n, level), 0) for n in section.nations]
            colour = LEVEL_COLOURS[LEVEL_NAMES.index(level)] if level in LEVEL_NAMES else GREY
            axes.bar(section.nations, values, 0.5, bottom=bottom, label=level, color=colour)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("items")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(fontsize=7, ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.12))

    return Chart("releases", "Releases made, by recipient nation and level", text, draw)


def balance_chart(funding: FundingSection) -> Chart:
    nations = [n.nation for n in funding.nations]
    text = (
        f"Contributed and work received to date per nation, in {funding.currency}: "
        + "; ".join(
            f"{n.nation} contributed {n.contributed_to_date}, received {n.workshare_to_date} "
            f"(coefficient {n.coefficient if n.coefficient is not None else 'none'}, {n.standing})"
            for n in funding.nations
        )
        + "."
    )

    def draw(plt: Any, axes: Any) -> None:
        width = 0.38
        positions = range(len(nations))
        axes.bar(
            [p - width / 2 for p in positions],
            [float(n.contributed_to_date) for n in funding.nations],
            width,
            label="contributed",
            color=BLUE,
        )
        axes.bar(
            [p + width / 2 for p in positions],
            [float(n.workshare_to_date) for n in funding.nations],
            width,
            label="work received",
            color=ORANGE,
        )
        axes.set_xticks(list(positions), nations)
        axes.set_ylabel(funding.currency or "")
        axes.legend(fontsize=7, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))

    return Chart("balance", "Contributions and workshare to date", text, draw)
