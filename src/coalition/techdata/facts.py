"""Loading the facts a decision reads from the database, as `coalition.policy.facts` values.

The world (projects, agreements, groups, security agreements, export and IP records,
classification levels) is small next to the artifacts, and is loaded whole. Subjects are
loaded in bulk, with a handful of queries whatever their number.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.models import Account, AccountStatus
from coalition.agreements.models import Agreement, AgreementStatus
from coalition.exportcontrol.models import AuthorisationStatus, Exemption, ExportAuthorisation
from coalition.ip.models import (
    BackgroundStatus,
    IpAsset,
    IpKind,
    IpOwner,
    Licence,
    LicenceStatus,
)
from coalition.ip.rules import default_access_purposes
from coalition.policy import facts
from coalition.policy.interning import label_of
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.models import LabelClass
from coalition.projects.models import Member, Participant, Project
from coalition.registry.models import (
    Briefing,
    Citizenship,
    ClassificationLevel,
    Clearance,
    ClearanceStatus,
    DualNationalExemption,
    GroupMembership,
    Organisation,
    Person,
    PersonStatus,
    SecurityAgreement,
    SecurityAgreementParty,
)
from coalition.techdata.models import Artifact, NeedToKnowGrant


def load_world(session: Session) -> facts.World:
    participants: dict[uuid.UUID, list[facts.Participation]] = defaultdict(list)
    for row in session.execute(
        select(
            Participant.project_id,
            Participant.organisation_id,
            Participant.joined_on,
            Participant.withdrew_on,
        )
    ):
        participants[row.project_id].append(
            facts.Participation(row.organisation_id, row.joined_on, row.withdrew_on)
        )
    projects = {
        row.id: facts.Project(row.id, row.agreement_id, tuple(participants[row.id]))
        for row in session.execute(select(Project.id, Project.agreement_id))
    }
    agreements = {
        row.id: facts.Agreement(
            row.id,
            row.status is AgreementStatus.IN_FORCE,
            row.effective_from,
            row.expires_on,
            result_access=default_access_purposes(row.ip_regime),
            background_access=default_access_purposes(row.ip_regime, background=True),
        )
        for row in session.execute(
            select(
                Agreement.id,
                Agreement.status,
                Agreement.effective_from,
                Agreement.expires_on,
                Agreement.ip_regime,
            )
        )
    }
    parties: dict[uuid.UUID, set[str]] = defaultdict(set)
    for agreement_id, party in session.execute(
        select(SecurityAgreementParty.agreement_id, SecurityAgreementParty.party)
    ):
        parties[agreement_id].add(party)
    security = tuple(
        facts.SecurityAgreement(
            frozenset(parties[row.id]), row.max_level, row.in_force_from, row.in_force_until
        )
        for row in session.execute(
            select(
                SecurityAgreement.id,
                SecurityAgreement.max_level,
                SecurityAgreement.in_force_from,
                SecurityAgreement.in_force_until,
            ).order_by(SecurityAgreement.reference)
        )
    )
    groups: dict[str, list[facts.GroupMember]] = defaultdict(list)
    for member in session.execute(
        select(
            GroupMembership.group_code,
            GroupMembership.nation_code,
            GroupMembership.joined_on,
            GroupMembership.left_on,
        )
    ):
        groups[member.group_code].append(
            facts.GroupMember(member.nation_code, member.joined_on, member.left_on)
        )
    levels = {
        (row.scheme_code, row.marking): (row.level, row.requires_clearance)
        for row in session.execute(
            select(
                ClassificationLevel.scheme_code,
                ClassificationLevel.marking,
                ClassificationLevel.level,
                ClassificationLevel.requires_clearance,
            )
        )
    }
    return facts.World(
        projects=projects,
        agreements=agreements,
        security_agreements=security,
        groups={code: tuple(members) for code, members in groups.items()},
        authorisations=tuple(
            authorisation_fact(a)
            for a in session.scalars(
                select(ExportAuthorisation).order_by(ExportAuthorisation.reference)
            )
        ),
        exemptions=tuple(
            exemption_fact(e)
            for e in session.scalars(
                select(Exemption).where(Exemption.active).order_by(Exemption.name)
            )
        ),
        licences=tuple(
            licence_fact(lc) for lc in session.scalars(select(Licence).order_by(Licence.reference))
        ),
        ip_assets=ip_terms(session),
        levels=levels,
    )


def authorisation_fact(a: ExportAuthorisation) -> facts.ExportAuthorisation:
    return facts.ExportAuthorisation(
        reference=a.reference,
        issuing_nation=a.issuing_nation,
        regime=a.regime,
        valid_from=a.valid_from,
        valid_until=a.valid_until,
        categories=frozenset(a.categories),
        recipient_nations=frozenset(a.recipient_nations),
        end_users=frozenset(uuid.UUID(u) for u in a.end_user_ids),
        projects=frozenset(uuid.UUID(p) for p in a.project_ids),
        purposes=frozenset(a.purposes),
        active=a.status is AuthorisationStatus.ACTIVE,
        remaining_value=(
            float(a.value_limit - a.value_used) if a.value_limit is not None else None
        ),
        remaining_quantity=(
            a.quantity_limit - a.quantity_used if a.quantity_limit is not None else None
        ),
    )


def exemption_fact(e: Exemption) -> facts.Exemption:
    c: dict[str, Any] = e.conditions
    return facts.Exemption(
        name=e.name,
        regime=e.regime,
        exporting_nation=e.exporting_nation,
        recipient_nations=frozenset(c.get("recipient_nations", ())),
        categories=frozenset(c.get("categories", ())),
        excluded_categories=frozenset(c.get("excluded_categories", ())),
        projects=frozenset(uuid.UUID(p) for p in c.get("projects", ())),
        purposes=frozenset(c.get("purposes", ())),
        actions=frozenset(c.get("actions", ())),
        valid_from=e.valid_from,
        valid_until=e.valid_until,
    )


def licence_fact(lc: Licence) -> facts.Licence:
    return facts.Licence(
        licensee=lc.licensee_id,
        licensors=frozenset({lc.licensor_id}),
        purposes=frozenset(lc.purposes),
        valid_from=lc.valid_from,
        valid_until=lc.valid_until,
        territory=frozenset(lc.territory),
        active=lc.status is LicenceStatus.ACTIVE,
        reference=lc.reference,
        asset=lc.asset_id,
    )


def load_subjects(
    session: Session, person_ids: Iterable[uuid.UUID] | None, on: date
) -> dict[uuid.UUID, facts.Subject]:
    """Subjects for the given people (every person when None), with a fixed number of
    queries. Grants are not loaded here (see :func:`load_grants`)."""
    wanted = None if person_ids is None else list(set(person_ids))

    def only(query: Any, column: Any) -> Any:
        return query if wanted is None else query.where(column.in_(wanted))

    people = session.execute(
        only(
            select(
                Person.id,
                Person.given_name,
                Person.family_name,
                Person.status,
                Person.employer_id,
                Organisation.name.label("organisation_name"),
                Organisation.nation_code,
            ).join(Organisation, Organisation.id == Person.employer_id),
            Person.id,
        )
    ).all()
    citizenships: dict[uuid.UUID, set[str]] = defaultdict(set)
    for person_id, nation in session.execute(
        only(select(Citizenship.person_id, Citizenship.nation_code), Citizenship.person_id)
    ):
        citizenships[person_id].add(nation)
    clearances: dict[uuid.UUID, list[facts.Clearance]] = defaultdict(list)
    for row in session.execute(
        only(
            select(
                Clearance.person_id,
                Clearance.issuer,
                Clearance.level,
                Clearance.valid_from,
                Clearance.valid_until,
                Clearance.status,
            ).order_by(Clearance.valid_from),
            Clearance.person_id,
        )
    ):
        clearances[row.person_id].append(
            facts.Clearance(
                row.issuer,
                row.level,
                row.valid_from,
                row.valid_until,
                row.status is ClearanceStatus.ACTIVE,
            )
        )
    briefings: dict[uuid.UUID, list[facts.Briefing]] = defaultdict(list)
    for row in session.execute(
        only(
            select(
                Briefing.person_id, Briefing.name, Briefing.given_on, Briefing.expires_on
            ).order_by(Briefing.name),
            Briefing.person_id,
        )
    ):
        briefings[row.person_id].append(facts.Briefing(row.name, row.given_on, row.expires_on))
    memberships: dict[uuid.UUID, list[facts.Membership]] = defaultdict(list)
    for row in session.execute(
        only(
            select(
                Member.person_id, Member.project_id, Member.role, Member.joined_on, Member.left_on
            ).order_by(Member.joined_on),
            Member.person_id,
        )
    ):
        memberships[row.person_id].append(
            facts.Membership(row.project_id, str(row.role), row.joined_on, row.left_on)
        )
    exempt = {
        row.person_id
        for row in session.execute(
            only(
                select(DualNationalExemption.person_id).where(
                    DualNationalExemption.granted_on <= on,
                    (DualNationalExemption.expires_on.is_(None))
                    | (DualNationalExemption.expires_on > on),
                ),
                DualNationalExemption.person_id,
            )
        )
    }
    locked = set(
        session.scalars(
            only(
                select(Account.person_id).where(
                    Account.person_id.is_not(None), Account.status != AccountStatus.ACTIVE
                ),
                Account.person_id,
            )
        )
    )
    return {
        row.id: facts.Subject(
            organisation_id=row.employer_id,
            organisation_nation=row.nation_code,
            citizenships=frozenset(citizenships[row.id] or {row.nation_code}),
            active=row.status is PersonStatus.ACTIVE and row.id not in locked,
            person_id=row.id,
            name=f"{row.given_name} {row.family_name}",
            organisation_name=row.organisation_name,
            dual_national_exemption=row.id in exempt,
            clearances=tuple(clearances[row.id]),
            briefings=tuple(briefings[row.id]),
            memberships=tuple(memberships[row.id]),
        )
        for row in people
    }


def load_grants(session: Session, person_id: uuid.UUID) -> tuple[facts.Grant, ...]:
    return tuple(
        facts.Grant(row.artifact_id, row.expires_on)
        for row in session.execute(
            select(NeedToKnowGrant.artifact_id, NeedToKnowGrant.expires_on)
            .where(NeedToKnowGrant.person_id == person_id)
            .order_by(NeedToKnowGrant.artifact_id)
        )
    )


def organisation_subject(session: Session, organisation: Organisation) -> facts.Subject:
    """An organisation as the recipient of a release."""
    return facts.Subject(
        organisation_id=organisation.id,
        organisation_nation=organisation.nation_code,
        citizenships=frozenset(),
        name=organisation.name,
        organisation_name=organisation.name,
    )


def ip_terms(session: Session) -> dict[uuid.UUID, facts.IpTerms]:
    """Each IP asset's name, owners' names and standing under its agreement."""
    owner_names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for asset_id, name in session.execute(
        select(IpOwner.asset_id, Organisation.short_name)
        .join(Organisation, Organisation.id == IpOwner.organisation_id)
        .order_by(IpOwner.asset_id, Organisation.short_name)
    ):
        owner_names[asset_id].append(name)
    project_agreements = dict(session.execute(select(Project.id, Project.agreement_id)).all())
    return {
        row.id: facts.IpTerms(
            reference=row.reference,
            owner_names=tuple(owner_names[row.id]),
            background=row.kind is IpKind.BACKGROUND,
            excluded=row.background_status is BackgroundStatus.EXCLUDED,
            agreement_id=row.agreement_id or project_agreements.get(row.project_id),
        )
        for row in session.execute(
            select(
                IpAsset.id,
                IpAsset.reference,
                IpAsset.kind,
                IpAsset.background_status,
                IpAsset.agreement_id,
                IpAsset.project_id,
            )
        )
    }


def ip_owners(
    session: Session, asset_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    owners: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    wanted = list(set(asset_ids))
    if wanted:
        for asset_id, organisation_id in session.execute(
            select(IpOwner.asset_id, IpOwner.organisation_id).where(IpOwner.asset_id.in_(wanted))
        ):
            owners[asset_id].add(organisation_id)
    return {asset_id: frozenset(orgs) for asset_id, orgs in owners.items()}


def artifact_facts(session: Session, rows: Iterable[Artifact]) -> dict[uuid.UUID, facts.Artifact]:
    rows = list(rows)
    owners = ip_owners(session, (r.ip_asset_id for r in rows if r.ip_asset_id))
    return {
        r.id: facts.Artifact(
            r.id,
            r.project_id,
            r.owner_organisation_id,
            label_of(r.label),
            owners.get(r.ip_asset_id, frozenset()) if r.ip_asset_id else frozenset(),
            r.ip_asset_id,
        )
        for r in rows
    }


def load_labels(session: Session, after_id: int = 0) -> dict[int, SecurityLabel]:
    """Label classes with an id above ``after_id`` (they are only ever added); read as plain
    rows, since a large programme has thousands."""
    columns = (
        LabelClass.id,
        LabelClass.scheme,
        LabelClass.classification,
        LabelClass.originator,
        LabelClass.releasable_to,
        LabelClass.noforn,
        LabelClass.caveats,
        LabelClass.export,
        LabelClass.distribution,
        LabelClass.ip_terms,
        LabelClass.embargo_until,
        LabelClass.review_on,
        LabelClass.pinned_on,
    )
    markings: dict[tuple[str, str, str], ExportMarking] = {}
    out: dict[int, SecurityLabel] = {}
    for row in session.execute(
        select(*columns).where(LabelClass.id > after_id).order_by(LabelClass.id)
    ):
        export = frozenset(
            markings.setdefault(
                (regime, category, nation),
                ExportMarking(ExportRegime(regime), category, nation),
            )
            for regime, category, nation in row.export
        )
        out[row.id] = SecurityLabel(
            scheme=row.scheme,
            classification=row.classification,
            originator=row.originator,
            releasable_to=frozenset(row.releasable_to),
            noforn=row.noforn,
            caveats=frozenset(row.caveats),
            export=export,
            distribution=row.distribution,
            ip_terms=row.ip_terms,
            embargo_until=row.embargo_until,
            review_on=row.review_on,
            pinned_on=row.pinned_on,
        )
    return out
