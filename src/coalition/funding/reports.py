"""Reports of funding: the workshare balance per nation with its trend and the
contributions against the agreed shares over time, and the budget against actuals per
work package and per national fiscal year. Sums are taken in SQL on whole minor units,
grouped by nation, currency and month; each group is converted exactly at the agreement's
rates; figures are rounded once, with parts allocated by largest remainder
(coalition.funding.money), so every table adds up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import String, cast, extract, func, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement, AgreementStatus, Amendment, CostShareRule
from coalition.common.access import require
from coalition.common.tables import Table
from coalition.errors import NotFound, ValidationFailed
from coalition.funding import money
from coalition.funding.models import (
    BudgetLine,
    Contribution,
    ContributionKind,
    ContributionStatus,
    CostCategory,
    Expenditure,
    PlanKind,
    SpendKind,
    WorkshareAward,
)
from coalition.funding.rules import (
    CALENDAR_YEAR,
    FiscalCalendar,
    agreed_shares,
    balance_coefficient,
    standing,
)
from coalition.funding.schemas import (
    BalanceReport,
    BudgetReport,
    BudgetRow,
    FiscalYearRow,
    NationBalance,
)
from coalition.funding.services import agreement_by_reference, calendars, party_nations, rates_of
from coalition.projects.models import Project, WorkPackage
from coalition.store.uow import UnitOfWork

#: Terms of an agreement the balance reads, as they stood on a day (amendment history).
FUNDING_TERMS = (
    "cost_share_rule",
    "cost_shares",
    "fixed_contributions",
    "work_package_shares",
)


def terms_on(agreement: Agreement, amendments: Iterable[Amendment], day: date) -> dict[str, Any]:
    """The cost-share terms in force on ``day``: today's terms with every amendment that
    took effect after ``day`` undone, latest first."""
    terms = {name: getattr(agreement, name) for name in FUNDING_TERMS}
    for amendment in sorted(amendments, key=lambda a: (a.effective_from, a.number), reverse=True):
        if amendment.effective_from <= day:
            break
        for name, change in (amendment.changes or {}).items():
            if name in terms and isinstance(change, dict) and "from" in change:
                terms[name] = change["from"]
    return terms


def _fractions(values: dict[str, Any] | None) -> dict[str, Fraction]:
    return {k: Fraction(Decimal(str(v))) for k, v in (values or {}).items()}


def _grouped(
    session: Session, query: Any, day_column: Any, calendar: FiscalCalendar
) -> list[tuple[str, str, date, int]]:
    """(nation, currency, a day standing for its period, summed minor units). Grouped by
    month where the fiscal year starts on the 1st (every ISO calendar we know), else by
    day, so that the period of each group is exact."""
    if calendar.start_day == 1:
        year, month = extract("year", day_column), extract("month", day_column)
        rows = session.execute(query.add_columns(year, month).group_by(year, month))
        return [(n, c, date(int(y), int(m), 1), int(s)) for n, c, s, y, m in rows]
    rows = session.execute(query.add_columns(day_column).group_by(day_column))
    return [(n, c, d, int(s)) for n, c, s, d in rows]


def balance(
    uow: UnitOfWork,
    actor: Principal,
    agreement_reference: str,
    *,
    currency: str | None = None,
    fiscal_nation: str | None = None,
) -> BalanceReport:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        agreement = agreement_by_reference(session, agreement_reference)
        if agreement is None:
            raise NotFound(f"no agreement '{agreement_reference}'")
        rates = rates_of(agreement)
        if rates is None:
            raise ValidationFailed.of(
                "agreement",
                f"{agreement.reference} names no accounting currency: no balance can be kept",
            )
        shown_in = currency or rates.accounting
        if not rates.has(shown_in):
            raise ValidationFailed.of(
                "currency", f"{agreement.reference} fixes no rate for {shown_in}"
            )
        nations = sorted(party_nations(agreement))
        all_calendars = calendars(session)
        if fiscal_nation is not None and fiscal_nation not in all_calendars:
            raise ValidationFailed.of("fiscal_nation", f"{fiscal_nation} is not configured")
        calendar = all_calendars[fiscal_nation] if fiscal_nation else CALENDAR_YEAR

        contributions = _grouped(
            session,
            select(
                Contribution.nation_code, Contribution.currency, func.sum(Contribution.amount_minor)
            )
            .where(
                Contribution.agreement_id == agreement.id,
                Contribution.status == ContributionStatus.ACCEPTED,
                Contribution.kind == ContributionKind.CASH,
            )
            .group_by(Contribution.nation_code, Contribution.currency),
            Contribution.made_on,
            calendar,
        )
        in_kind = _grouped(
            session,
            select(
                Contribution.nation_code, Contribution.currency, func.sum(Contribution.amount_minor)
            )
            .where(
                Contribution.agreement_id == agreement.id,
                Contribution.status == ContributionStatus.ACCEPTED,
                Contribution.kind == ContributionKind.IN_KIND,
            )
            .group_by(Contribution.nation_code, Contribution.currency),
            Contribution.made_on,
            calendar,
        )
        awards = _grouped(
            session,
            select(
                WorkshareAward.nation_code,
                WorkshareAward.currency,
                func.sum(WorkshareAward.value_minor),
            )
            .where(
                WorkshareAward.agreement_id == agreement.id, WorkshareAward.withdrawn_on.is_(None)
            )
            .group_by(WorkshareAward.nation_code, WorkshareAward.currency),
            WorkshareAward.awarded_on,
            calendar,
        )
        amendments = list(
            session.scalars(select(Amendment).where(Amendment.agreement_id == agreement.id))
        )
        wp_weights = _work_package_weights(session, agreement, rates, shown_in)

        def exact(groups: list[tuple[str, str, date, int]]) -> dict[tuple[str, int], Fraction]:
            summed: dict[tuple[str, int, str], int] = defaultdict(int)
            for nation, cur, day, minor in groups:
                summed[(nation, calendar.year_of(day), cur)] += minor
            out: dict[tuple[str, int], Fraction] = defaultdict(Fraction)
            for (nation, year, cur), minor in summed.items():
                out[(nation, year)] += _convert(rates, minor, cur, shown_in)
            return out

        cash_x, kind_x, work_x = exact(contributions), exact(in_kind), exact(awards)
        seen = {y for _, y in (*cash_x, *kind_x, *work_x)}
        # Every year from the first record to the last, a quiet year included.
        years = list(range(min(seen), max(seen) + 1)) if seen else []
        everyone = sorted(set(nations) | {n for n, _ in (*cash_x, *kind_x, *work_x)})

        def per_nation(
            values: dict[tuple[str, int], Fraction], upto: int | None = None
        ) -> dict[str, Fraction]:
            out = {n: Fraction(0) for n in everyone}
            for (nation, year), value in values.items():
                if upto is None or year <= upto:
                    out[nation] += value
            return out

        cash, kind, work = per_nation(cash_x), per_nation(kind_x), per_nation(work_x)
        given = {n: cash[n] + kind[n] for n in everyone}
        given_total = sum(given.values(), Fraction(0))
        work_total = sum(work.values(), Fraction(0))
        agreed = _agreed(
            agreement, terms_on(agreement, amendments, date.max), nations, wp_weights, work
        )
        cash_r, kind_r = money.allocate(cash), money.allocate(kind)
        given_r, work_r = money.allocate(given), money.allocate(work)
        rows: list[NationBalance] = []
        alerts: list[str] = []
        low, high = agreement.balance_band_low_percent, agreement.balance_band_high_percent
        for nation in everyone:
            coefficient = balance_coefficient(work[nation], work_total, given[nation], given_total)
            judged = standing(coefficient, low, high)
            share = agreed.get(nation) if agreed is not None else None
            rows.append(
                NationBalance(
                    nation=nation,
                    agreed_share_percent=_percent(share) if share is not None else None,
                    cash=money.from_minor(cash_r[nation], shown_in),
                    in_kind=money.from_minor(kind_r[nation], shown_in),
                    contributed=money.from_minor(given_r[nation], shown_in),
                    contribution_share_percent=_percent(_part(given[nation], given_total)),
                    workshare=money.from_minor(work_r[nation], shown_in),
                    workshare_share_percent=_percent(_part(work[nation], work_total)),
                    coefficient=_ratio(coefficient),
                    standing=judged.value,
                )
            )
            if judged.value in {"below", "above"} and coefficient is not None:
                alerts.append(
                    f"{nation} is out of balance: coefficient {_ratio(coefficient)} is "
                    f"{judged.value} the band {low / 100:.2f} to {high / 100:.2f}"
                )

        contributed_by: dict[str, list[Decimal]] = {n: [] for n in everyone}
        agreed_by: dict[str, list[Decimal]] = {n: [] for n in everyone}
        trend: dict[str, list[Decimal | None]] = {n: [] for n in everyone}
        # What each nation would have paid had every period's contributions followed the
        # shares in force at that period's end (amendments apply from their date).
        agreed_so_far = {n: Fraction(0) for n in everyone}
        previous_total = Fraction(0)
        for year in years:
            g_cash, g_kind = per_nation(cash_x, year), per_nation(kind_x, year)
            g_work = per_nation(work_x, year)
            g_given = {n: g_cash[n] + g_kind[n] for n in everyone}
            g_total = sum(g_given.values(), Fraction(0))
            g_work_total = sum(g_work.values(), Fraction(0))
            _first, last = calendar.bounds(year)
            shares = _agreed(
                agreement, terms_on(agreement, amendments, last), nations, wp_weights, g_work
            )
            for nation in everyone:
                agreed_so_far[nation] += (g_total - previous_total) * (shares or {}).get(
                    nation, Fraction(0)
                )
            previous_total = g_total
            g_given_r = money.allocate(g_given)
            g_agreed_r = money.allocate(agreed_so_far)
            for nation in everyone:
                contributed_by[nation].append(money.from_minor(g_given_r[nation], shown_in))
                agreed_by[nation].append(money.from_minor(g_agreed_r[nation], shown_in))
                trend[nation].append(
                    _ratio(
                        balance_coefficient(g_work[nation], g_work_total, g_given[nation], g_total)
                    )
                )
        totals_given = money.round_half_even(given_total)
        totals_work = money.round_half_even(work_total)
        return BalanceReport(
            agreement=agreement.reference,
            currency=shown_in,
            fiscal_calendar=f"{fiscal_nation} fiscal years" if fiscal_nation else "calendar years",
            band_low_percent=low,
            band_high_percent=high,
            cost_share_rule=agreement.cost_share_rule.value,
            nations=rows,
            total_contributed=money.from_minor(totals_given, shown_in),
            total_workshare=money.from_minor(totals_work, shown_in),
            periods=[calendar.label(y) for y in years],
            contributed_by_period=contributed_by,
            agreed_by_period=agreed_by,
            coefficient_by_period=trend,
            alerts=alerts,
        )


def balance_alerts(uow: Callable[[], UnitOfWork], actor: Principal) -> list[tuple[str, str]]:
    """(agreement, alert) for every agreement in force that keeps cost-share accounts and
    has a nation outside its balance band: the dashboard's warnings."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow() as unit:
        references = list(
            unit.session.scalars(
                select(Agreement.reference)
                .where(
                    Agreement.status == AgreementStatus.IN_FORCE,
                    Agreement.accounting_currency.is_not(None),
                )
                .order_by(Agreement.reference)
            )
        )
    alerts: list[tuple[str, str]] = []
    for reference in references:
        try:
            alerts += [(reference, alert) for alert in balance(uow(), actor, reference).alerts]
        except ValidationFailed as exc:
            alerts.append((reference, f"no balance can be drawn: {exc.detail}"))
    return alerts


def _agreed(
    agreement: Agreement,
    terms: dict[str, Any],
    nations: list[str],
    wp_weights: dict[str, Fraction],
    workshare: dict[str, Fraction],
) -> dict[str, Fraction] | None:
    return agreed_shares(
        CostShareRule(terms["cost_share_rule"]),
        party_nations=nations,
        percentage_shares=_fractions(terms["cost_shares"]),
        fixed_contributions=_fractions(terms["fixed_contributions"]),
        work_package_shares={
            wp: _fractions(shares) for wp, shares in (terms["work_package_shares"] or {}).items()
        },
        work_package_weights=wp_weights,
        workshare=workshare,
    )


def _work_package_weights(
    session: Session, agreement: Agreement, rates: money.Rates, currency: str
) -> dict[str, Fraction]:
    """Each work package's total budget ("PROJECT/WP"), the weight of its cost shares."""
    if not agreement.work_package_shares:
        return {}
    rows = session.execute(
        select(
            Project.code, WorkPackage.code, BudgetLine.currency, func.sum(BudgetLine.amount_minor)
        )
        .join(WorkPackage, WorkPackage.id == BudgetLine.work_package_id)
        .join(Project, Project.id == BudgetLine.project_id)
        .where(Project.agreement_id == agreement.id, BudgetLine.kind == PlanKind.BUDGET)
        .group_by(Project.code, WorkPackage.code, BudgetLine.currency)
    )
    weights: dict[str, Fraction] = defaultdict(Fraction)
    for project, wp, cur, minor in rows:
        if rates.has(cur):
            weights[f"{project}/{wp}"] += rates.convert_minor(int(minor), cur, currency)
    return weights


def _convert(rates: money.Rates, minor: int, currency: str, target: str) -> Fraction:
    try:
        return rates.convert_minor(minor, currency, target)
    except ValueError:
        # Amendments keep the rates of currencies in use (agreements.checks); a record
        # left without one is reported, not a crash.
        raise ValidationFailed.of(
            "currency", f"records are kept in {currency}, which the agreement fixes no rate for"
        ) from None


#: Costs by kind, as the budget report's columns name them.
_SPENT = {SpendKind.COMMITMENT.value: "committed", SpendKind.ACTUAL.value: "actual"}


def _text(column: Any) -> Any:
    """An enum column read as its stored text: no enum objects built per row."""
    return cast(column, String)


def _grouped_by_period(
    session: Session, query: Any, amount: Any, day_column: Any, *, by_day: bool
) -> list[tuple[tuple[Any, ...], date, int]]:
    """(the query's own columns, a day standing for the period, summed minor units), grouped
    by month, or by day where some nation's fiscal year starts on another day than the 1st."""
    if by_day:
        rows = session.execute(query.add_columns(day_column, func.sum(amount)).group_by(day_column))
        return [(tuple(r[:-2]), r[-2], int(r[-1])) for r in rows]
    year, month = extract("year", day_column), extract("month", day_column)
    rows = session.execute(query.add_columns(year, month, func.sum(amount)).group_by(year, month))
    return [(tuple(r[:-3]), date(int(r[-3]), int(r[-2]), 1), int(r[-1])) for r in rows]


def _part(value: Fraction, total: Fraction) -> Fraction:
    return value / total if total else Fraction(0)


def _percent(value: Fraction) -> Decimal:
    """A fraction of 1 as a percentage with two decimals (half to even)."""
    return Decimal(money.round_half_even(value * 10000)).scaleb(-2)


def _ratio(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(money.round_half_even(value * 1000)).scaleb(-3)


# --- budget -----------------------------------------------------------------------------------


def budget(
    uow: UnitOfWork, actor: Principal, project_code: str, *, currency: str | None = None
) -> BudgetReport:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        project = session.scalar(select(Project).where(Project.code == project_code))
        if project is None:
            raise NotFound(f"no project '{project_code}'")
        agreement = agreement_by_reference(session, project.agreement.reference)
        assert agreement is not None
        rates = rates_of(agreement)
        if rates is None:
            raise ValidationFailed.of(
                "project", f"{agreement.reference} names no accounting currency"
            )
        shown_in = currency or rates.accounting
        if not rates.has(shown_in):
            raise ValidationFailed.of(
                "currency", f"{agreement.reference} fixes no rate for {shown_in}"
            )
        all_calendars = calendars(session)
        # Whole minor units are summed per currency first (in SQL, then in Python across
        # months) and each sum converted once: the same exact figures as converting every
        # group, with a fraction of the conversions. Enum columns are read as their text.
        by_cell: dict[tuple[str, str, str, str], int] = defaultdict(int)
        by_nation_year: dict[tuple[str, int, str, str], int] = defaultdict(int)
        plan_category, plan_kind = _text(BudgetLine.category), _text(BudgetLine.kind)
        plans = session.execute(
            select(
                WorkPackage.code,
                plan_category,
                BudgetLine.nation_code,
                BudgetLine.fiscal_year,
                plan_kind,
                BudgetLine.currency,
                func.sum(BudgetLine.amount_minor),
            )
            .join(WorkPackage, WorkPackage.id == BudgetLine.work_package_id)
            .where(BudgetLine.project_id == project.id)
            .group_by(
                WorkPackage.code,
                plan_category,
                BudgetLine.nation_code,
                BudgetLine.fiscal_year,
                plan_kind,
                BudgetLine.currency,
            )
        )
        for wp, category, nation, year, kind, cur, minor in plans:
            by_cell[(wp, category, kind, cur)] += int(minor)
            by_nation_year[(nation, int(year), kind, cur)] += int(minor)
        spend_category, spend_kind = _text(Expenditure.category), _text(Expenditure.kind)
        spent = session.execute(
            select(
                WorkPackage.code,
                spend_category,
                spend_kind,
                Expenditure.currency,
                func.sum(Expenditure.amount_minor),
            )
            .join(WorkPackage, WorkPackage.id == Expenditure.work_package_id)
            .where(Expenditure.project_id == project.id)
            .group_by(WorkPackage.code, spend_category, spend_kind, Expenditure.currency)
        )
        for wp, category, kind, cur, minor in spent:
            by_cell[(wp, category, _SPENT[kind], cur)] += int(minor)
        spend_by_day = _grouped_by_period(
            session,
            select(Expenditure.nation_code, spend_kind, Expenditure.currency)
            .where(Expenditure.project_id == project.id)
            .group_by(Expenditure.nation_code, spend_kind, Expenditure.currency),
            Expenditure.amount_minor,
            Expenditure.incurred_on,
            by_day=any(c.start_day != 1 for c in all_calendars.values()),
        )
        for (nation, kind, cur), day, minor in spend_by_day:
            year = all_calendars.get(nation, CALENDAR_YEAR).year_of(day)
            by_nation_year[(nation, year, _SPENT[kind], cur)] += minor

        cells: dict[tuple[str, str], dict[str, Fraction]] = defaultdict(
            lambda: defaultdict(Fraction)
        )
        for (wp, category, column, cur), minor in by_cell.items():
            cells[(wp, category)][column] += _convert(rates, minor, cur, shown_in)
        by_year: dict[tuple[str, int], dict[str, Fraction]] = defaultdict(
            lambda: defaultdict(Fraction)
        )
        for (nation, year, column, cur), minor in by_nation_year.items():
            by_year[(nation, year)][column] += _convert(rates, minor, cur, shown_in)

        columns = ("budget", "forecast", "committed", "actual")
        order = list(CostCategory)
        keys = sorted(cells, key=lambda k: (k[0], order.index(CostCategory(k[1]))))
        rounded = {c: money.allocate({k: cells[k][c] for k in keys}) for c in columns}
        rows = [
            BudgetRow(
                work_package=wp,
                category=CostCategory(category),
                budget=money.from_minor(rounded["budget"][(wp, category)], shown_in),
                forecast=money.from_minor(rounded["forecast"][(wp, category)], shown_in),
                committed=money.from_minor(rounded["committed"][(wp, category)], shown_in),
                actual=money.from_minor(rounded["actual"][(wp, category)], shown_in),
                remaining=money.from_minor(
                    rounded["budget"][(wp, category)] - rounded["actual"][(wp, category)], shown_in
                ),
            )
            for wp, category in keys
        ]
        totals = {c: sum(rounded[c].values()) for c in columns}
        year_keys = sorted(by_year)
        year_rounded = {c: money.allocate({k: by_year[k][c] for k in year_keys}) for c in columns}
        return BudgetReport(
            project=project.code,
            currency=shown_in,
            rows=rows,
            by_fiscal_year=[
                FiscalYearRow(
                    nation=nation,
                    fiscal_year=all_calendars.get(nation, CALENDAR_YEAR).label(year),
                    **{
                        c: money.from_minor(year_rounded[c][(nation, year)], shown_in)
                        for c in columns
                    },
                )
                for nation, year in year_keys
            ],
            totals=BudgetRow(
                work_package="all",
                category=None,
                remaining=money.from_minor(totals["budget"] - totals["actual"], shown_in),
                **{c: money.from_minor(totals[c], shown_in) for c in columns},
            ),
        )


# --- tables for download ----------------------------------------------------------------------


def balance_table(report: BalanceReport) -> Table:
    rows: list[tuple[Any, ...]] = [
        (
            n.nation,
            n.agreed_share_percent,
            n.cash,
            n.in_kind,
            n.contributed,
            n.contribution_share_percent,
            n.workshare,
            n.workshare_share_percent,
            n.coefficient,
            n.standing,
        )
        for n in report.nations
    ]
    rows.append(
        (
            "Total",
            None,
            None,
            None,
            report.total_contributed,
            None,
            report.total_workshare,
            None,
            None,
            "",
        )
    )
    return Table(
        f"Balance {report.agreement} ({report.currency})",
        (
            "Nation",
            "Agreed share %",
            f"Cash ({report.currency})",
            f"In kind ({report.currency})",
            f"Contributed ({report.currency})",
            "Contribution share %",
            f"Workshare ({report.currency})",
            "Workshare share %",
            "Balance coefficient",
            "Standing",
        ),
        rows,
    )


def budget_table(report: BudgetReport) -> Table:
    rows: list[tuple[Any, ...]] = [
        (
            r.work_package,
            r.category.value if r.category else "",
            r.budget,
            r.forecast,
            r.committed,
            r.actual,
            r.remaining,
        )
        for r in report.rows
    ]
    t = report.totals
    rows.append(("Total", "", t.budget, t.forecast, t.committed, t.actual, t.remaining))
    return Table(
        f"Budget {report.project} ({report.currency})",
        ("Work package", "Cost category", "Budget", "Forecast", "Committed", "Actual", "Remaining"),
        rows,
    )
