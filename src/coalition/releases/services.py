"""The release pre-check: every item against every recipient, before anything is
submitted (DESIGN.md capability 5)."""

from __future__ import annotations

from sqlalchemy import select

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.errors import ValidationFailed
from coalition.policy.engine import decide
from coalition.policy.facts import Action, Request
from coalition.registry.models import Organisation
from coalition.releases.rules import approvals_for
from coalition.releases.schemas import Blocker, ItemCheck, PrecheckIn, PrecheckOut
from coalition.store.uow import UnitOfWork
from coalition.techdata import facts as loaders
from coalition.techdata import listing
from coalition.techdata.models import Artifact
from coalition.techdata.services import today, viewer


def precheck(uow: UnitOfWork, actor: Principal, data: PrecheckIn) -> PrecheckOut:
    """What stands between these items and these recipients, rule by rule, with remedies,
    and who would have to approve. The requester names items they may see; an item they
    may not see is reported exactly as an unknown one. Nothing is recorded: no content
    moves and nothing is decided for good."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    day = today()
    with uow:
        session = uow.session
        person_id = viewer(session, actor)
        seen = listing.visibility(session, uow.database, person_id, Action.VIEW_METADATA, day)
        references = list(dict.fromkeys(data.artifact_references))
        rows = {
            a.reference: a
            for a in session.scalars(
                select(Artifact).where(seen.where(session), Artifact.reference.in_(references))
            )
        }
        missing = [r for r in references if r not in rows]
        recipients = {
            o.id: o
            for o in session.scalars(
                select(Organisation).where(Organisation.id.in_(data.recipient_organisation_ids))
            )
        }
        unknown = [str(i) for i in data.recipient_organisation_ids if i not in recipients]
        problems = []
        if missing:
            problems.append(
                ("artifact_references", f"no artifact you may see: {', '.join(missing[:10])}")
            )
        if unknown:
            problems.append(("recipient_organisation_ids", f"unknown: {', '.join(unknown)}"))
        if problems:
            raise ValidationFailed.of_many(problems)
        world = loaders.load_world(session)
        artifacts = [rows[r] for r in references]
        facts = loaders.artifact_facts(session, artifacts)
        owners = {
            o.id: o.short_name
            for o in session.scalars(
                select(Organisation).where(
                    Organisation.id.in_({a.owner_organisation_id for a in artifacts})
                )
            )
        }
        ordered = [recipients[i] for i in dict.fromkeys(data.recipient_organisation_ids)]
        subjects = [(o, loaders.organisation_subject(session, o)) for o in ordered]
        items: list[ItemCheck] = []
        blockers: list[Blocker] = []
        obligations: dict[str, None] = {}
        approvals: dict[str, None] = {}
        permitted = 0
        for artifact in artifacts:
            label = artifact.label
            needed = approvals_for(
                common_level=label.common_level,
                originator=label.originator,
                caveats=label.caveats,
                export=label.export,
                owner=owners.get(artifact.owner_organisation_id, "the owner"),
            )
            approvals.update(dict.fromkeys(needed))
            allowed: list[str] = []
            for organisation, subject in subjects:
                decision = decide(
                    Request(
                        subject, facts[artifact.id], Action.RELEASE_TO, day, purpose=data.purpose
                    ),
                    world,
                )
                if decision.permit:
                    permitted += 1
                    allowed.append(organisation.short_name)
                    obligations.update(dict.fromkeys(decision.obligations))
                blockers.extend(
                    Blocker(
                        artifact_reference=artifact.reference,
                        recipient_id=organisation.id,
                        recipient_name=organisation.short_name,
                        rule=rule.id,
                        reason=rule.reason,
                        remedy=rule.remedy,
                    )
                    for rule in decision.failed
                )
            items.append(
                ItemCheck(
                    artifact_id=artifact.id,
                    artifact_reference=artifact.reference,
                    banner=label.banner,
                    permitted_to=allowed,
                    approvals=needed,
                )
            )
        return PrecheckOut(
            purpose=data.purpose,
            items=items,
            recipients=[o.short_name for o in ordered],
            permitted=permitted,
            pairs=len(artifacts) * len(ordered),
            blockers=blockers,
            obligations=list(obligations),
            approvals=list(approvals),
        )
