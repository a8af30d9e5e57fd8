"""The timeline chart of a utilisation report as SVG, drawn on the server by matplotlib
like the funding charts: one column per local day, the hours of the day downwards, each
occurrence a bar from its start to its end coloured by what became of it (bookings running
at the same time side by side). Text stays text in the SVG and the output carries no date,
so the same figures give the same bytes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

# The funding charts' pyplot, lock included: pyplot's state is global to the process, so
# every chart of the node is drawn under the one lock.
from coalition.common.charts import PYPLOT_LOCK, pyplot, svg
from coalition.facilities.schemas import TimelineBar, UtilisationReport

#: Colour of each outcome, with the words of the legend.
COLOURS = {
    "used": ("#2e6b30", "used"),
    "approved": ("#5b8fd9", "approved, to come"),
    "requested": ("#e0a030", "requested"),
    "no_show": ("#b3261e", "no-show"),
    "cancelled": ("#9e9e9e", "cancelled"),
    "rejected": ("#d7d7d7", "rejected"),
}


def _pieces(bar: TimelineBar) -> list[tuple[date, float, float]]:
    """The bar cut at local midnights: (day, from hour, to hour)."""
    out = []
    starts, ends = bar.starts_at, bar.ends_at
    while starts < ends:
        next_midnight = datetime.combine(starts.date() + timedelta(days=1), time(), starts.tzinfo)
        until = min(ends, next_midnight)
        begin = starts.hour + starts.minute / 60 + starts.second / 3600
        finish = 24.0 if until == next_midnight else until.hour + until.minute / 60
        out.append((starts.date(), begin, finish))
        starts = until
    return out


def _lanes(
    pieces: list[tuple[date, float, float, str]],
) -> tuple[list[tuple[date, float, float, str, int]], int]:
    """Each piece with the lane it is drawn in, so that overlapping ones sit side by side."""
    by_day: dict[date, list[tuple[date, float, float, str]]] = defaultdict(list)
    for piece in pieces:
        by_day[piece[0]].append(piece)
    out = []
    most = 1
    for day_pieces in by_day.values():
        ends: list[float] = []
        for piece in sorted(day_pieces, key=lambda p: (p[1], p[2])):
            lane = next((i for i, end in enumerate(ends) if end <= piece[1]), len(ends))
            if lane == len(ends):
                ends.append(piece[2])
            else:
                ends[lane] = piece[2]
            out.append((*piece, lane))
        most = max(most, len(ends))
    return out, most


def timeline_chart(report: UtilisationReport) -> str:
    days = (report.last_day - report.first_day).days + 1
    pieces = [
        (day, begin, finish, bar.outcome)
        for bar in report.bars
        for day, begin, finish in _pieces(bar)
        if report.first_day <= day <= report.last_day
    ]
    placed, lanes = _lanes(pieces)
    width = 0.8 / lanes
    title = f"Bookings at {report.facility}, {report.first_day} to {report.last_day}"
    with PYPLOT_LOCK:
        plt = pyplot()
        figure, axes = plt.subplots(figsize=(min(12.0, 4.5 + days * 0.25), 3.6))
        try:
            for outcome, (colour, words) in COLOURS.items():
                mine = [p for p in placed if p[3] == outcome]
                if not mine:
                    continue
                axes.bar(
                    [(p[0] - report.first_day).days - 0.4 + (p[4] + 0.5) * width for p in mine],
                    [p[2] - p[1] for p in mine],
                    width * 0.95,
                    bottom=[p[1] for p in mine],
                    color=colour,
                    edgecolor="#333333",
                    linewidth=0.4,
                    label=words,
                )
            step = max(1, days // 14)
            ticks = list(range(0, days, step))
            axes.set_xticks(
                ticks,
                [f"{report.first_day + timedelta(days=t):%a %d %b}" for t in ticks],
                rotation=45,
                ha="right",
            )
            axes.set_xlim(-0.6, days - 0.4)
            axes.set_ylim(24, 0)
            axes.set_yticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
            axes.set_ylabel(f"local time ({report.time_zone})")
            axes.set_title(title)
            axes.grid(axis="y", linewidth=0.3)
            if placed:
                axes.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.35))
            else:
                axes.text(days / 2 - 0.5, 12, "no booking", ha="center", va="center")
            return svg(figure, title)
        finally:
            plt.close(figure)
