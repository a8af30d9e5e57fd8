"""Commands of agreements."""

from __future__ import annotations

from typing import Annotated

import typer

from coalition.agreements import services
from coalition.agreements.models import (
    AgreementKind,
    AgreementStatus,
    CostShareRule,
    DecisionRule,
    IpRegime,
)
from coalition.agreements.schemas import AgreementIn, AgreementUpdate, AmendmentIn, StatusChangeIn
from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common.paging import PageRequest
from coalition.errors import ValidationFailed
from coalition.registry.cli import organisation_id

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
COLUMNS = ["id", "reference", "kind", "status", "effective_from", "expires_on", "title"]


def _pairs(values: list[str] | None, option: str, shape: str) -> dict[str, str] | None:
    """['USA=40', 'GBR=60'] -> {'USA': '40', 'GBR': '60'}; the command checks the numbers."""
    if not values:
        return None
    pairs: dict[str, str] = {}
    for value in values:
        for item in filter(None, (part.strip() for part in value.split(","))):
            key, sep, number = item.partition("=")
            if not sep or not number.strip():
                raise ValidationFailed.of(option, f"'{item}' is not {shape}")
            pairs[key.strip().upper()] = number.strip()
    return pairs


def _shares(values: list[str] | None) -> dict[str, str] | None:
    return _pairs(values, "share", "NATION=PERCENT")


def _wp_shares(values: list[str] | None) -> dict[str, dict[str, str]] | None:
    """['CSAR-MAS/WP1:USA=60,GBR=40'] -> {'CSAR-MAS/WP1': {'USA': '60', 'GBR': '40'}}"""
    if not values:
        return None
    out: dict[str, dict[str, str]] = {}
    for value in values:
        key, sep, shares = value.partition(":")
        parsed = _pairs([shares], "wp-share", "PROJECT/WP:NATION=PERCENT,...") if sep else None
        if not parsed:
            raise ValidationFailed.of("wp-share", f"'{value}' is not PROJECT/WP:NATION=PERCENT,...")
        out[key.strip()] = parsed
    return out


Rate = Annotated[
    list[str] | None,
    typer.Option("--rate", help="Repeat: CURRENCY=RATE, units of accounting currency per unit."),
]
Contribution = Annotated[
    list[str] | None,
    typer.Option("--contribution", help="Repeat: NATION=AMOUNT in the accounting currency."),
]
WpShare = Annotated[
    list[str] | None, typer.Option("--wp-share", help="Repeat: PROJECT/WP:NATION=PERCENT,...")
]


def register(app: typer.Typer) -> None:
    agreements = typer.Typer(
        help="MoUs, project arrangements and other agreements.", no_args_is_help=True
    )
    app.add_typer(agreements, name="agreements")

    @agreements.command("list")
    def agreements_list(
        q: Annotated[str | None, typer.Option(help="Search reference and title.")] = None,
        kind: Annotated[AgreementKind | None, typer.Option()] = None,
        status: Annotated[AgreementStatus | None, typer.Option()] = None,
        nation: Annotated[str | None, typer.Option(help="A party's nation.")] = None,
        limit: int = 50,
        offset: int = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """List agreements."""
        page = build(PageRequest, limit=limit, offset=offset)
        emit(
            services.list_agreements(
                uow(), operator(), page, q=q, kind=kind, status=status, nation=nation
            ),
            as_json,
            COLUMNS,
        )

    @agreements.command("show")
    def agreements_show(agreement: str, as_json: JsonOpt = False) -> None:
        """Show an agreement with parties, terms, history and amendments."""
        emit(services.get_agreement(uow(), operator(), parse_uuid(agreement, "agreement")), as_json)

    @agreements.command("create")
    def agreements_create(
        reference: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        kind: Annotated[AgreementKind, typer.Option()],
        party: Annotated[list[str], typer.Option(help="Repeat: organisation id or short name.")],
        effective_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
        expires_on: Annotated[str | None, typer.Option("--until", help="YYYY-MM-DD")] = None,
        parent: Annotated[str | None, typer.Option(help="Parent agreement id.")] = None,
        ceiling: Annotated[int, typer.Option(help="Classification ceiling, 0-4.")] = 0,
        releasable: Annotated[
            list[str] | None, typer.Option(help="Repeat: nation or group.")
        ] = None,
        decision_rule: Annotated[DecisionRule, typer.Option()] = DecisionRule.UNANIMITY,
        qualified_majority: Annotated[int | None, typer.Option(help="Percent.")] = None,
        ip_regime: Annotated[IpRegime, typer.Option()] = (
            IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE
        ),
        disclosure_days: Annotated[
            int, typer.Option(help="Days from conception to disclose an invention.")
        ] = 60,
        filing_days: Annotated[
            int, typer.Option(help="Days from disclosure to decide filing per country.")
        ] = 120,
        objection_days: Annotated[
            int, typer.Option(help="Days the parties may object to a transfer.")
        ] = 45,
        cost_share_rule: Annotated[CostShareRule, typer.Option()] = CostShareRule.EQUAL,
        share: Annotated[list[str] | None, typer.Option(help="Repeat: NATION=PERCENT.")] = None,
        contribution: Contribution = None,
        wp_share: WpShare = None,
        accounting_currency: Annotated[str | None, typer.Option()] = None,
        rate: Rate = None,
        band_low: Annotated[int, typer.Option(help="Balance band, low end, percent.")] = 95,
        band_high: Annotated[int, typer.Option(help="Balance band, high end, percent.")] = 105,
        summary: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an agreement (as a draft)."""
        data = build(
            AgreementIn,
            reference=reference,
            title=title,
            kind=kind,
            parties=[{"organisation_id": organisation_id(p, "party")} for p in party],
            effective_from=effective_from,
            expires_on=expires_on,
            parent_id=parse_uuid(parent, "parent") if parent else None,
            classification_ceiling=ceiling,
            default_releasability=releasable,
            decision_rule=decision_rule,
            qualified_majority_percent=qualified_majority,
            ip_regime=ip_regime,
            invention_disclosure_days=disclosure_days,
            filing_decision_days=filing_days,
            transfer_objection_days=objection_days,
            cost_share_rule=cost_share_rule,
            cost_shares=_shares(share),
            fixed_contributions=_pairs(contribution, "contribution", "NATION=AMOUNT"),
            work_package_shares=_wp_shares(wp_share),
            accounting_currency=accounting_currency,
            exchange_rates=_pairs(rate, "rate", "CURRENCY=RATE"),
            balance_band_low_percent=band_low,
            balance_band_high_percent=band_high,
            summary=summary,
        )
        emit(services.create_agreement(uow(), operator(), data), as_json)

    @agreements.command("update")
    def agreements_update(
        agreement: str,
        title: Annotated[str | None, typer.Option()] = None,
        effective_from: Annotated[str | None, typer.Option("--from")] = None,
        expires_on: Annotated[str | None, typer.Option("--until")] = None,
        ceiling: Annotated[int | None, typer.Option()] = None,
        releasable: Annotated[list[str] | None, typer.Option()] = None,
        decision_rule: Annotated[DecisionRule | None, typer.Option()] = None,
        qualified_majority: Annotated[int | None, typer.Option()] = None,
        ip_regime: Annotated[IpRegime | None, typer.Option()] = None,
        disclosure_days: Annotated[int | None, typer.Option()] = None,
        filing_days: Annotated[int | None, typer.Option()] = None,
        objection_days: Annotated[int | None, typer.Option()] = None,
        cost_share_rule: Annotated[CostShareRule | None, typer.Option()] = None,
        share: Annotated[
            list[str] | None, typer.Option(help="Repeat: NATION=PERCENT; replaces all shares.")
        ] = None,
        contribution: Contribution = None,
        wp_share: WpShare = None,
        accounting_currency: Annotated[str | None, typer.Option()] = None,
        rate: Rate = None,
        band_low: Annotated[int | None, typer.Option()] = None,
        band_high: Annotated[int | None, typer.Option()] = None,
        party: Annotated[list[str] | None, typer.Option(help="Replaces all parties.")] = None,
        summary: Annotated[str | None, typer.Option()] = None,
        amendment_title: Annotated[
            str | None, typer.Option(help="Needed once in force: the amendment's title.")
        ] = None,
        amendment_signed_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        amendment_from: Annotated[
            str | None, typer.Option(help="Date the amendment takes effect.")
        ] = None,
        amendment_summary: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change an agreement's dates, terms or parties."""
        data = build(
            AgreementUpdate,
            title=title,
            effective_from=effective_from,
            expires_on=expires_on,
            classification_ceiling=ceiling,
            default_releasability=releasable,
            decision_rule=decision_rule,
            qualified_majority_percent=qualified_majority,
            ip_regime=ip_regime,
            invention_disclosure_days=disclosure_days,
            filing_decision_days=filing_days,
            transfer_objection_days=objection_days,
            cost_share_rule=cost_share_rule,
            cost_shares=_shares(share),
            fixed_contributions=_pairs(contribution, "contribution", "NATION=AMOUNT"),
            work_package_shares=_wp_shares(wp_share),
            accounting_currency=accounting_currency,
            exchange_rates=_pairs(rate, "rate", "CURRENCY=RATE"),
            balance_band_low_percent=band_low,
            balance_band_high_percent=band_high,
            parties=[{"organisation_id": organisation_id(p, "party")} for p in party]
            if party
            else None,
            summary=summary,
            amendment={
                "title": amendment_title,
                "signed_on": amendment_signed_on,
                "effective_from": amendment_from,
                "summary": amendment_summary,
            }
            if amendment_title or amendment_signed_on or amendment_from
            else None,
        )
        emit(
            services.update_agreement(uow(), operator(), parse_uuid(agreement, "agreement"), data),
            as_json,
        )

    @agreements.command("status")
    def agreements_status(
        agreement: str,
        to: Annotated[AgreementStatus, typer.Option(help="The new status.")],
        reason: Annotated[str, typer.Option(help="Why; kept in the history.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Put in force, suspend, terminate or expire an agreement."""
        data = build(StatusChangeIn, to_status=to, reason=reason)
        emit(
            services.change_status(uow(), operator(), parse_uuid(agreement, "agreement"), data),
            as_json,
        )

    @agreements.command("amend")
    def agreements_amend(
        agreement: str,
        title: Annotated[str, typer.Option()],
        signed_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
        effective_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
        summary: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an amendment."""
        data = build(
            AmendmentIn,
            title=title,
            signed_on=signed_on,
            effective_from=effective_from,
            summary=summary,
        )
        emit(
            services.add_amendment(uow(), operator(), parse_uuid(agreement, "agreement"), data),
            as_json,
        )
