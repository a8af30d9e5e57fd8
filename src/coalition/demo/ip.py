"""The demo's IP register: background (one piece included, one excluded), two results with
joint owners and their own terms, a patent application, an invention disclosure with its
filing decisions, a licence for government purposes, and a transfer notice whose objection
window is still open. Each record goes through the ordinary use case; what exists is left
alone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.ip import services
from coalition.ip.models import (
    BackgroundStatus,
    FilingChoice,
    InventionDisclosure,
    IpAsset,
    IpKind,
    Licence,
    ProtectionKind,
    TransferKind,
    TransferNotice,
)
from coalition.ip.schemas import (
    DisclosureIn,
    FilingDecisionIn,
    IpAssetIn,
    LicenceIn,
    OwnerIn,
    ProtectionIn,
    TransferNoticeIn,
)
from coalition.policy.facts import Purpose
from coalition.store.uow import UnitOfWork


def load_ip_register(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    day: Callable[[int], date],
    org: dict[str, uuid.UUID],
    people: dict[str, uuid.UUID],
    project: dict[str, uuid.UUID],
) -> tuple[dict[str, uuid.UUID], int]:
    """The register's records (assets by reference) and how many were created."""
    created = 0
    with uow() as unit:
        session = unit.session
        assets = dict(session.execute(select(IpAsset.reference, IpAsset.id)).all())
        licences = set(session.scalars(select(Licence.reference)))
        disclosures = set(session.scalars(select(InventionDisclosure.reference)))
        notices = set(session.scalars(select(TransferNotice.reference)))
    wanted = (
        IpAssetIn(
            reference="IP-MAS-BG-001",
            title="Acoustic processing chain (background)",
            kind=IpKind.BACKGROUND,
            project_id=project["CSAR-MAS"],
            description="CNSL's beamforming and tracking chain, brought in for the sea trials.",
            restrictions="Source code stays at CNSL; partners receive binaries and interfaces.",
            owners=[OwnerIn(organisation_id=org["CNSL"])],
        ),
        IpAssetIn(
            reference="IP-MAS-BG-002",
            title="Legacy sonar classifier (excluded background)",
            kind=IpKind.BACKGROUND,
            project_id=project["CSAR-MAS"],
            background_status=BackgroundStatus.EXCLUDED,
            description="Listed so that nobody assumes access: WMSL keeps it out of the PA.",
            restrictions="Excluded under Annex B of the project arrangement.",
            owners=[OwnerIn(organisation_id=org["WMSL"])],
        ),
        IpAssetIn(
            reference="IP-HMP-RES-001",
            title="Ceramic matrix composite lay-up (result)",
            kind=IpKind.RESULT,
            project_id=project["THC-HMP"],
            created_on=day(-200),
            description="Lay-up schedule that survives 2,400 K arc-jet exposure.",
            joint_ownership_terms="WHFL files and pays in AUS, SHL in USA; either may license "
            "for government purposes, commercial licences need both.",
            owners=[
                OwnerIn(organisation_id=org["WHFL"], share_percent=60),
                OwnerIn(organisation_id=org["SHL"], share_percent=40),
            ],
        ),
        IpAssetIn(
            reference="IP-MAS-RES-001",
            title="Bistatic contact fusion algorithm (result)",
            kind=IpKind.RESULT,
            project_id=project["CSAR-MAS"],
            created_on=day(-52),
            description="Fuses bistatic contacts across vessels without a common clock.",
            joint_ownership_terms="Equal shares; CNSL leads filing, costs shared equally.",
            owners=[
                OwnerIn(organisation_id=org["CNSL"], share_percent=50),
                OwnerIn(organisation_id=org["WMSL"], share_percent=50),
            ],
        ),
    )
    for data in wanted:
        if data.reference not in assets:
            assets[data.reference] = services.create_asset(uow(), actor, data).id
            created += 1
            if data.reference == "IP-HMP-RES-001":
                services.add_protection(
                    uow(),
                    actor,
                    assets[data.reference],
                    ProtectionIn(
                        kind=ProtectionKind.PATENT_APPLICATION,
                        nation_code="AUS",
                        number="AU 2026901234",
                        filed_on=day(-150),
                    ),
                )
    if "LIC-MAS-001" not in licences:
        services.create_licence(
            uow(),
            actor,
            LicenceIn(
                reference="LIC-MAS-001",
                asset_id=assets["IP-MAS-BG-001"],
                licensor_id=org["CNSL"],
                licensee_id=org["WMSL"],
                purposes=[Purpose.GOVERNMENT_PURPOSES],
                territory=["GBR"],
                field_of_use="Naval acoustic surveillance",
                valid_from=day(-300),
                valid_until=day(700),
                terms="Royalty-free for UK government purposes; no sublicensing.",
            ),
        )
        created += 1
    if "INV-MAS-001" not in disclosures:
        disclosure = services.create_disclosure(
            uow(),
            actor,
            DisclosureIn(
                reference="INV-MAS-001",
                asset_id=assets["IP-MAS-RES-001"],
                title="Clock-free bistatic association",
                conceived_on=day(-52),
                disclosed_on=day(-30),
                inventor_ids=[people["Dana Whitfield"], people["Fiona Ashcroft"]],
                filing_nations=["USA", "GBR"],
            ),
        )
        services.decide_filing(
            uow(),
            actor,
            disclosure.id,
            FilingDecisionIn(
                nation_code="USA",
                choice=FilingChoice.FILE,
                decided_on=day(-10),
                filing_organisation_id=org["CNSL"],
            ),
        )
        created += 1
    if "TN-HMP-001" not in notices:
        services.notify_transfer(
            uow(),
            actor,
            TransferNoticeIn(
                reference="TN-HMP-001",
                asset_id=assets["IP-HMP-RES-001"],
                kind=TransferKind.ASSIGNMENT,
                transferor_id=org["SHL"],
                transferee_id=org["TFP"],
                share_percent=10,
                notified_on=day(-10),
                summary="SHL assigns a tenth of its share to Thamesford Photonics, which will "
                "industrialise the lay-up.",
            ),
        )
        created += 1
    return assets, created
