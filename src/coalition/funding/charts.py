"""Charts of the funding reports as SVG, drawn on the server by matplotlib: the balance
coefficient per nation against the agreement's band, its trend, contributions against the
agreed shares, and the budget against actuals per work package. Text stays text in the
SVG (readable by screen readers and tests), and the output carries no date, so the same
figures give the same bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from coalition.common.charts import PYPLOT_LOCK, pyplot, svg
from coalition.funding.schemas import BalanceReport, BudgetReport


def balance_chart(report: BalanceReport) -> str:
    """Bars: each nation's coefficient; dashed lines: the band; a bar outside is red."""
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(6.5, 3.2))
        try:
            nations = [n.nation for n in report.nations]
            values = [float(n.coefficient or 0) for n in report.nations]
            colours = [
                "#b3261e" if n.standing in {"below", "above"} else "#2e6b30" for n in report.nations
            ]
            bars = axes.bar(nations, values, color=colours)
            for bar, n in zip(bars, report.nations, strict=True):
                label = f"{n.coefficient}" if n.coefficient is not None else "n/a"
                axes.annotate(
                    label,
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                )
            axes.axhline(report.band_low_percent / 100, linestyle="--", color="#555555")
            axes.axhline(report.band_high_percent / 100, linestyle="--", color="#555555")
            axes.axhline(1.0, color="#999999", linewidth=0.8)
            axes.set_ylabel("balance coefficient (work share / contribution share)")
            axes.set_title(f"Workshare balance, {report.agreement}")
            axes.set_ylim(0, max([*values, report.band_high_percent / 100]) * 1.2)
            return svg(figure, f"Workshare balance {report.agreement}")
        finally:
            plt.close(figure)


def _lines(
    title: str, periods: Sequence[str], series: Mapping[str, Sequence[Decimal | None]], ylabel: str
) -> str:
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(6.5, 3.2))
        try:
            for name, values in series.items():
                axes.plot(
                    list(periods),
                    [float(v) if v is not None else float("nan") for v in values],
                    marker="o",
                    label=name,
                )
            axes.set_ylabel(ylabel)
            axes.set_title(title)
            if series:
                axes.legend(fontsize=8, ncols=min(len(series), 5))
            return svg(figure, title)
        finally:
            plt.close(figure)


def trend_chart(report: BalanceReport) -> str:
    return _lines(
        f"Balance coefficient over time, {report.agreement} ({report.fiscal_calendar})",
        report.periods,
        report.coefficient_by_period,
        "cumulative coefficient",
    )


def contributions_chart(report: BalanceReport) -> str:
    """Cumulative contributions (solid) against what the agreed shares call for (dashed)."""
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(6.5, 3.2))
        try:
            for index, nation in enumerate(report.contributed_by_period):
                colour = f"C{index % 10}"
                made = [float(v) for v in report.contributed_by_period[nation]]
                agreed = [float(v) for v in report.agreed_by_period[nation]]
                axes.plot(report.periods, made, marker="o", color=colour, label=f"{nation} made")
                axes.plot(
                    report.periods, agreed, linestyle="--", color=colour, label=f"{nation} agreed"
                )
            axes.set_ylabel(f"cumulative ({report.currency})")
            axes.set_title(f"Contributions against agreed shares, {report.agreement}")
            if report.periods:
                axes.legend(fontsize=7, ncols=4)
            return svg(figure, f"Contributions {report.agreement}")
        finally:
            plt.close(figure)


def budget_chart(report: BudgetReport) -> str:
    """Budget, forecast and actual per work package, side by side."""
    by_wp: dict[str, list[Decimal]] = {}
    for row in report.rows:
        totals = by_wp.setdefault(row.work_package, [Decimal(0), Decimal(0), Decimal(0)])
        totals[0] += row.budget
        totals[1] += row.forecast
        totals[2] += row.actual
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(6.5, 3.2))
        try:
            names = list(by_wp)
            positions = range(len(names))
            width = 0.27
            for offset, (label, index) in enumerate(
                (("budget", 0), ("forecast", 1), ("actual", 2))
            ):
                axes.bar(
                    [p + (offset - 1) * width for p in positions],
                    [float(by_wp[n][index]) for n in names],
                    width,
                    label=label,
                )
            axes.set_xticks(list(positions), names)
            axes.set_ylabel(report.currency)
            axes.set_title(f"Budget against actuals, {report.project}")
            axes.legend(fontsize=8)
            return svg(figure, f"Budget {report.project}")
        finally:
            plt.close(figure)
