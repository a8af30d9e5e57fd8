"""A report as a PDF (reportlab's platypus): title, scope and period, then one section per
subject with its tables and charts, and the report's security banner at the top and the
bottom of every page. What the report says is also embedded whole, as ``report.json``, so
that its page can be drawn from the very same figures (:func:`content_of`).

The banner sits inside the margins, clear of where a download's marking adds its own
(coalition.content.marking), so a downloaded copy shows both without overlap."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter

# reportlab ships no type information (and no stubs are a dependency): its names are Any.
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import (
    ParagraphStyle,
    getSampleStyleSheet,
)
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from coalition.reports import charts
from coalition.reports.schemas import ReportContent
from coalition.risks import rules as risk_rules
from coalition.risks.charts import COLOURS

ATTACHMENT = "report.json"
MARGIN = 18 * mm
BANNER_COLOUR = colors.HexColor("#a61b1b")
HEADER_FILL = colors.HexColor("#e8edf3")
_styles = getSampleStyleSheet()
TITLE = _styles["Title"]
HEADING = _styles["Heading2"]
SUBHEADING = _styles["Heading3"]
BODY = _styles["BodyText"]
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
CAPTION = ParagraphStyle("caption", parent=CELL, textColor=colors.HexColor("#555555"))


class ContentError(ValueError):
    """The PDF is not one of Coalition's reports (or was made by an unknown version)."""


def _text(value: object) -> str:
    return escape("—" if value is None else str(value))


def _para(value: object, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(_text(value), style)


def _table(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[object]],
    widths: Sequence[int] | None = None,
) -> Flowable:
    """A table of text cells that wrap; ``widths`` in millimetres (the page holds 174);
    without a ``header``, its first column is the header."""
    if not rows:
        return _para("None.", CAPTION)
    data = [[Paragraph(_text(h), HEAD) for h in header]] if header else []
    data += [[Paragraph(_text(v), CELL) for v in row] for row in rows]
    table = Table(
        data, colWidths=[w * mm for w in widths] if widths else None, repeatRows=1 if header else 0
    )
    filled = (0, 0), (-1, 0) if header else (0, -1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b0b7c0")),
                ("BACKGROUND", *filled, HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(chart: charts.Chart) -> Flowable:
    png = charts.as_png(chart)
    width, height = ImageReader(io.BytesIO(png)).getSize()
    shown = 160 * mm
    image = Image(io.BytesIO(png), width=shown, height=shown * height / width)
    return KeepTogether([image, _para(chart.text, CAPTION), Spacer(1, 4 * mm)])


def _heat_map(content: ReportContent) -> Flowable:
    heat = content.risks.heat
    rows: list[list[object]] = [["Likelihood \\ impact", *range(1, 6)]]
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
        ("ALIGN", (1, 1), (-1, -1), "CENTER"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
    ]
    for row, likelihood in enumerate(range(5, 0, -1), start=1):
        cells = [c for c in heat.cells if c.likelihood == likelihood]
        rows.append([str(likelihood), *(str(c.count) if c.count else "" for c in cells)])
        for column, cell in enumerate(cells, start=1):
            fill = colors.HexColor(COLOURS[risk_rules.Band(cell.band)])
            style.append(("BACKGROUND", (column, row), (column, row), fill))
    table = Table(rows, colWidths=[32 * mm] + [14 * mm] * 5)
    table.setStyle(TableStyle(style))
    return table


def _banner(banner: str) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        width, height = doc.pagesize
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 10)
        canvas.setFillColor(BANNER_COLOUR)
        canvas.drawCentredString(width / 2, height - MARGIN + 4 * mm, banner)
        canvas.drawCentredString(width / 2, MARGIN - 7 * mm, banner)
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawRightString(width - MARGIN, MARGIN - 11 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def build(content: ReportContent) -> bytes:
    """The report's PDF, with ``content`` embedded."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 8 * mm,
        bottomMargin=MARGIN + 8 * mm,
        title=content.title,
        author="Coalition",
        subject=f"{content.banner} · {content.period}",
        creator="Coalition",
    )
    page = _banner(content.banner)
    document.build(_story(content), onFirstPage=page, onLaterPages=page)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_attachment(ATTACHMENT, content.model_dump_json().encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def content_of(pdf: bytes) -> ReportContent:
    """What a report's PDF says, from its embedded ``report.json``."""
    try:
        found = PdfReader(io.BytesIO(pdf)).attachments.get(ATTACHMENT)
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise ContentError(f"the report cannot be read ({type(exc).__name__})") from exc
    if not found:
        raise ContentError("the PDF holds no report")
    return ReportContent.model_validate_json(found[0])


def _story(c: ReportContent) -> list[Flowable]:
    scope = f"project {c.project} · {c.project_title}" if c.project else f"agreement {c.agreement}"
    story: list[Flowable] = [
        _para(c.title, TITLE),
        _table(
            None,
            [
                ["Scope", scope],
                ["Agreement", f"{c.agreement} · {c.agreement_title}"],
                ["Projects", ", ".join(c.projects) or "none in the period"],
                ["Period", f"{c.period_start} to {c.period_end} ({c.period})"],
                ["Generated", f"{c.generated_at:%Y-%m-%d %H:%M} UTC by {c.generated_by}"],
                ["Classification", c.banner],
            ],
            [35, 139],
        ),
    ]
    for section in (_progress, _spend, _risks, _governance, _disputes, _releases, _ip, _funding):
        story += section(c)
    return story


def _progress(c: ReportContent) -> list[Flowable]:
    p, s = c.progress, c.progress.summary
    return [
        _para("1. Progress against plan", HEADING),
        _table(
            ["", "Due in period", "Achieved / delivered", "On time", "Late at end", "Missed"],
            [
                [
                    "Milestones",
                    s.milestones_due,
                    s.milestones_achieved,
                    s.milestones_on_time,
                    s.milestones_late,
                    s.milestones_missed,
                ],
                [
                    "Deliverables",
                    s.deliverables_due,
                    s.deliverables_delivered,
                    "",
                    s.deliverables_late,
                    "",
                ],
            ],
        ),
        Spacer(1, 3 * mm),
        _chart(charts.progress_chart(s)),
        _para("Milestones", SUBHEADING),
        _table(
            ["Project", "Code", "Title", "Due", "Status", "Achieved", "State", "Days late"],
            [
                [
                    m.project,
                    m.code,
                    m.title,
                    m.due_on,
                    m.status,
                    m.achieved_on,
                    m.state.replace("_", " "),
                    m.days_late,
                ]
                for m in p.milestones
            ],
            [18, 12, 50, 20, 18, 20, 20, 16],
        ),
        _para("Deliverables", SUBHEADING),
        _table(
            ["Project", "Work package", "Code", "Title", "Due", "Status", "State"],
            [
                [
                    d.project,
                    d.work_package,
                    d.code,
                    d.title,
                    d.due_on,
                    d.status.replace("_", " "),
                    d.state,
                ]
                for d in p.deliverables
            ],
            [18, 20, 14, 56, 20, 24, 22],
        ),
        _para("Technology readiness level over time", SUBHEADING),
        *[
            _table(
                ["Project", "On", "TRL", "Source"],
                [[t.project, x.on, x.level, x.source] for x in t.points],
            )
            if t.points
            else _para(f"{t.project}: {t.note}", CAPTION)
            for t in p.trl
        ],
    ]


def _spend(c: ReportContent) -> list[Flowable]:
    spend = c.progress.spend
    found: list[Flowable] = [_para("2. Spend against plan", HEADING)]
    if spend is None:
        return [*found, _para(c.progress.spend_note, CAPTION)]
    header = [
        "",
        "Budget",
        "Planned to date",
        "Committed",
        "Actual to date",
        "Actual in period",
        "Variance",
    ]
    rows = [
        [
            r.key,
            r.budget,
            r.planned_to_date,
            r.committed_to_date,
            r.actual_to_date,
            r.actual_in_period,
            r.variance,
        ]
        for r in [*spend.rows, spend.total]
    ]
    found += [
        _para(
            f"Amounts in {spend.currency}. Variance is planned to date less actual to date.",
            CAPTION,
        ),
        _table(header, rows, [24, 25, 25, 25, 25, 25, 25]),
        Spacer(1, 3 * mm),
    ]
    if spend.by_month:
        found.append(_chart(charts.spend_chart(spend)))
    return found


def _risks(c: ReportContent) -> list[Flowable]:
    r = c.risks
    return [
        _para("3. Risks", HEADING),
        _para(
            f"{r.live_at_end} live risk(s) at the end of the period; {r.raised_in_period} raised "
            f"and {r.closed_in_period} closed in it. Bands: "
            + ", ".join(f"{band.value} up to {top}" for top, band in risk_rules.BAND_TOPS)
            + "."
        ),
        _heat_map(c),
        Spacer(1, 3 * mm),
        _table(
            [
                "Reference",
                "Project",
                "Title",
                "L",
                "I",
                "Score",
                "Band",
                "Status",
                "Trend",
                "Owner",
            ],
            [
                [
                    x.reference,
                    x.project,
                    x.title,
                    x.likelihood,
                    x.impact,
                    x.score,
                    x.band,
                    x.status,
                    x.trend,
                    x.owner,
                ]
                for x in r.rows
            ],
            [22, 15, 42, 6, 6, 11, 15, 17, 14, 26],
        ),
    ]


def _governance(c: ReportContent) -> list[Flowable]:
    g = c.governance
    return [
        _para("4. Decisions and action items", HEADING),
        _table(
            ["Reference", "Body", "Title", "Outcome", "Closed", "Effective", "Explanation"],
            [
                [
                    d.reference,
                    d.body,
                    d.title,
                    d.outcome + (f": {d.carried_option}" if d.carried_option else ""),
                    d.closed_on,
                    d.effective_on,
                    d.explanation,
                ]
                for d in g.decisions
            ],
            [22, 18, 38, 22, 20, 20, 34],
        ),
        _para(
            f"Action items: {g.actions_assigned} assigned and {g.actions_done} done in the period; "
            f"{len(g.actions_overdue)} overdue at its end."
        ),
        _table(
            ["Reference", "Body", "Title", "Owner", "Due"],
            [[a.reference, a.body, a.title, a.owner, a.due_on] for a in g.actions_overdue],
            [25, 20, 69, 35, 25],
        ),
    ]


def _disputes(c: ReportContent) -> list[Flowable]:
    d = c.disputes
    return [
        _para("5. Disputes", HEADING),
        _para(
            f"{d.raised_in_period} raised and {d.settled_in_period} settled in the period; "
            f"{d.open_at_end} open at its end."
        ),
        _table(
            ["Reference", "Subject", "Title", "Raised", "Settled", "Status"],
            [
                [x.reference, x.subject, x.title, x.raised_on, x.settled_on, x.status]
                for x in d.rows
            ],
            [25, 20, 59, 22, 22, 26],
        ),
    ]


def _releases(c: ReportContent) -> list[Flowable]:
    r = c.releases
    counts = {(x.nation, x.level): x.items for x in r.counts}
    rows = [
        [
            nation,
            *(counts.get((nation, level), 0) for level in r.levels),
            sum(counts.get((nation, level), 0) for level in r.levels),
        ]
        for nation in r.nations
    ]
    found: list[Flowable] = [
        _para("6. Releases made", HEADING),
        _para(
            f"{r.requests} release request(s) approved in the period, {r.items} item(s) released. "
            "Counts by recipient nation and level only: what was released is not shown here."
        ),
        _table(["Recipient nation", *r.levels, "Items"], rows),
        Spacer(1, 3 * mm),
    ]
    if r.counts:
        found.append(_chart(charts.releases_chart(r)))
    return found


def _ip(c: ReportContent) -> list[Flowable]:
    i = c.ip
    return [
        _para("7. Invention disclosures", HEADING),
        _table(
            ["Conceived in period", "Due in period", "Disclosed in period", "Overdue at end"],
            [[i.conceived_in_period, i.due_in_period, i.disclosed_in_period, i.overdue_at_end]],
        ),
    ]


def _funding(c: ReportContent) -> list[Flowable]:
    f = c.funding
    found: list[Flowable] = [_para("8. Funding and balance", HEADING)]
    if f.currency is None or not f.nations:
        return [*found, _para(f.note or "No funding recorded.", CAPTION)]
    found += [
        _para(
            f"Amounts in {f.currency}. The balance coefficient is the share of the work received "
            f"over the share of the contributions made, to date; its band is "
            f"{f.band_low_percent / 100:.2f} to {f.band_high_percent / 100:.2f}.",
            CAPTION,
        ),
        _table(
            [
                "Nation",
                "Contributed in period",
                "Contributed to date",
                "Work in period",
                "Work to date",
                "Coefficient",
                "Standing",
            ],
            [
                [
                    n.nation,
                    n.contributed_in_period,
                    n.contributed_to_date,
                    n.workshare_in_period,
                    n.workshare_to_date,
                    n.coefficient,
                    n.standing.replace("_", " "),
                ]
                for n in f.nations
            ],
            [18, 26, 26, 26, 26, 26, 26],
        ),
    ]
    if f.note:
        found.append(_para(f.note, CAPTION))
    if any(n.contributed_to_date or n.workshare_to_date for n in f.nations):
        found += [Spacer(1, 3 * mm), _chart(charts.balance_chart(f))]
    return found
