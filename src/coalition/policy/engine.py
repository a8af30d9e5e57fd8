"""The release decision (DESIGN.md section 5): every rule, in a stable order, with reasons.

Deny overrides: the request is permitted only when every rule passes. Each rule says why
it passed or failed and, when it failed, what would change the answer. Pure and total:
any request over any world gets a decision, never an exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from coalition.policy.facts import (
    Action,
    ExportAuthorisation,
    IpTerms,
    Project,
    Request,
    World,
    during,
)
from coalition.policy.labels import ExportMarking

RULE_IDS = (
    "account",
    "agreement",
    "need_to_know",
    "clearance",
    "releasability",
    "caveats",
    "export",
    "ip_use",
    "embargo",
)
#: Who sees that an artifact exists: only those who pass these (DESIGN.md section 5).
METADATA_RULES = frozenset({"account", "agreement", "need_to_know", "releasability"})
#: Project roles and the actions their need-to-know covers.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "project_manager": frozenset(Action),
    "technical_lead": frozenset(Action),
    "researcher": frozenset({Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD, Action.USE_FOR}),
    "observer": frozenset({Action.VIEW_METADATA, Action.READ}),
}
LEVEL_NAMES = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET")
SUPRANATIONAL = frozenset({"NATO", "EU"})


@dataclass(frozen=True, slots=True)
class RuleResult:
    id: str
    passed: bool
    reason: str
    remedy: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    permit: bool
    action: Action
    rules: tuple[RuleResult, ...]
    obligations: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if not r.passed)


def decide(request: Request, world: World) -> Decision:
    applied = METADATA_RULES if request.action is Action.VIEW_METADATA else None
    results = tuple(
        RULES[rule_id](request, world)
        if applied is None or rule_id in applied
        else RuleResult(rule_id, True, f"not applied to {request.action}")
        for rule_id in RULE_IDS
    )
    permit = all(r.passed for r in results)
    return Decision(permit, request.action, results, _obligations(request, world) if permit else ())


def level_of(request: Request, world: World) -> tuple[int, bool]:
    label = request.artifact.label
    return world.levels.get((label.scheme, label.classification), (4, True))


# --- the rules ------------------------------------------------------------------------------


def _account(request: Request, world: World) -> RuleResult:
    subject = request.subject
    if subject.active:
        return RuleResult("account", True, f"{_who(request)} is active")
    return RuleResult(
        "account",
        False,
        f"{_who(request)} is suspended or locked",
        "an administrator must re-activate the account",
    )


def _agreement(request: Request, world: World) -> RuleResult:
    subject, artifact, day = request.subject, request.artifact, request.on
    if subject.organisation_id == artifact.owner_organisation_id:
        return RuleResult("agreement", True, "the subject's organisation owns the artifact")
    project = _project(request, world)
    if project is None:
        return RuleResult(
            "agreement",
            False,
            "the artifact belongs to no project shared under an agreement",
            "only its owner organisation may use it",
        )
    agreement = world.agreements.get(project.agreement_id)
    if agreement is None or not (
        agreement.in_force and during(day, agreement.effective_from, agreement.expires_on)
    ):
        return RuleResult(
            "agreement",
            False,
            f"the project's agreement is not in force on {day}",
            "the agreement must be (re)put in force by its parties",
        )
    if _takes_part(project, subject.organisation_id, day, world):
        return RuleResult("agreement", True, "the subject's organisation takes part in the project")
    return RuleResult(
        "agreement",
        False,
        f"the subject's organisation does not take part in the project on {day}",
        "the organisation must join the project as a participant",
    )


def _need_to_know(request: Request, world: World) -> RuleResult:
    subject, artifact, day = request.subject, request.artifact, request.on
    if subject.organisation_id == artifact.owner_organisation_id:
        return RuleResult("need_to_know", True, "the subject belongs to the owner organisation")
    # An organisation receiving a release needs to know what its project shares.
    if subject.person_id is None and _takes_part(
        _project(request, world), subject.organisation_id, day, world
    ):
        return RuleResult("need_to_know", True, "the recipient takes part in the project")
    roles = [
        m.role
        for m in subject.memberships
        if m.project_id == artifact.project_id and during(day, m.joined_on, m.left_on)
    ]
    for role in roles:
        if request.action in ROLE_ACTIONS.get(role, frozenset()):
            return RuleResult("need_to_know", True, f"a current {role} of the project")
    if any(
        g.artifact_id == artifact.id and (g.expires_on is None or day < g.expires_on)
        for g in subject.grants
    ):
        return RuleResult("need_to_know", True, "an explicit, unexpired grant for this artifact")
    if roles:
        return RuleResult(
            "need_to_know",
            False,
            f"a {' / '.join(roles)} of the project may not {request.action}",
            "a project role that allows it, or an explicit grant for this artifact",
        )
    return RuleResult(
        "need_to_know",
        False,
        "not a current member of the artifact's project",
        "membership of the project, or an explicit grant for this artifact",
    )


def _clearance(request: Request, world: World) -> RuleResult:
    level, needs_clearance = level_of(request, world)
    label, day = request.artifact.label, request.on
    if not needs_clearance:
        return RuleResult("clearance", True, f"{_marking(request)} needs no clearance")
    if request.subject.person_id is None:
        nation = request.subject.organisation_nation
        recognised = _recognised_level(nation, label.originator, world, day, label.scheme)
        if nation == label.originator or recognised >= level:
            return RuleResult(
                "clearance",
                True,
                f"{nation} handles {label.originator} information up to level "
                f"{4 if nation == label.originator else recognised}",
            )
        return RuleResult(
            "clearance",
            False,
            f"no security agreement between {nation} and {label.originator} covers "
            f"{LEVEL_NAMES[level]} on {day}",
            f"a security agreement between {nation} and {label.originator} up to "
            f"{LEVEL_NAMES[level]}",
        )
    held: list[str] = []
    for clearance in request.subject.clearances:
        if not clearance.active or not during(day, clearance.valid_from, clearance.valid_until):
            continue
        if clearance.issuer == label.originator:
            recognised = clearance.level
        else:
            recognised = min(
                clearance.level,
                _recognised_level(clearance.issuer, label.originator, world, day, label.scheme),
            )
        if recognised >= level:
            return RuleResult(
                "clearance",
                True,
                f"holds a {clearance.issuer} clearance recognised by {label.originator} at "
                f"{LEVEL_NAMES[recognised]}",
            )
        held.append(
            f"{clearance.issuer} {LEVEL_NAMES[clearance.level]}"
            + (
                ""
                if clearance.issuer == label.originator
                else f" (recognised by {label.originator} up to {LEVEL_NAMES[recognised]})"
            )
        )
    return RuleResult(
        "clearance",
        False,
        f"needs a {LEVEL_NAMES[level]}-level clearance recognised by {label.originator}; "
        + (f"holds {', '.join(held)}" if held else "holds no current clearance"),
        f"a {LEVEL_NAMES[level]} clearance issued by {label.originator} or by a nation whose "
        f"security agreement with {label.originator} covers that level",
    )


def _recognised_level(
    issuer: str, originator: str, world: World, day: date, scheme: str = ""
) -> int:
    """The highest level up to which ``originator`` recognises ``issuer``'s clearances.

    An agreement that has NATO or the EU as a party (the NATO Security Agreement, say)
    covers NATO / EU information and clearances issued by NATO / the EU; national clearances
    for national information are covered by the nations' own (usually bilateral) agreements.
    """
    best = -1
    for agreement in world.security_agreements_by_pair.get((issuer, originator), ()):
        supranational = agreement.parties & SUPRANATIONAL
        if supranational and issuer not in supranational and scheme not in supranational:
            continue
        if during(day, agreement.in_force_from, agreement.in_force_until):
            best = max(best, agreement.max_level)
    return best


def _releasability(request: Request, world: World) -> RuleResult:
    label, subject = request.artifact.label, request.subject
    nations = (
        subject.citizenships
        if subject.person_id is not None
        else frozenset({subject.organisation_nation})
    )
    allowed = _audience(request, world)
    refused = sorted(n for n in nations if n not in allowed)
    if not refused:
        return RuleResult("releasability", True, f"releasable to {', '.join(sorted(nations))}")
    permitted = sorted(nations - set(refused))
    if subject.dual_national_exemption and permitted:
        return RuleResult(
            "releasability",
            True,
            f"dual national: a recorded exemption lets {', '.join(permitted)} suffice",
        )
    what = (
        "NOFORN: no foreign release"
        if label.noforn
        else (f"not releasable to {', '.join(refused)}")
    )
    return RuleResult(
        "releasability",
        False,
        what,
        "the originator may add the nation to REL TO"
        if not label.noforn
        else "only the originating nation's citizens may see it",
    )


def _audience(request: Request, world: World) -> frozenset[str]:
    label = request.artifact.label
    if label.noforn or not label.releasable_to:
        return frozenset({label.originator})
    day = label.pinned_on or request.on
    out = {label.originator}
    for code in label.releasable_to:
        # Label validation admits trigraphs (nations) and 2 or 4-8 letter codes (groups).
        out |= {code} if len(code) == 3 else world.members(code, day)
    return frozenset(out)


def _caveats(request: Request, world: World) -> RuleResult:
    needed = request.artifact.label.caveats
    if not needed:
        return RuleResult("caveats", True, "no restrictive caveat")
    day = request.on
    held = {
        b.name
        for b in request.subject.briefings
        if b.given_on <= day and (b.expires_on is None or day < b.expires_on)
    }
    missing = sorted(needed - held)
    if not missing:
        return RuleResult("caveats", True, f"holds {', '.join(sorted(needed))}")
    return RuleResult(
        "caveats",
        False,
        f"lacks {', '.join(missing)}",
        f"a current briefing for {', '.join(missing)}",
    )


def _export(request: Request, world: World) -> RuleResult:
    markings = request.artifact.label.export
    if not markings:
        return RuleResult("export", True, "no export-control marking")
    subject = request.subject
    nations = (
        subject.citizenships
        if subject.person_id is not None
        else frozenset({subject.organisation_nation})
    )
    reasons: list[str] = []
    for marking in sorted(markings):
        for nation in sorted(nations):
            if nation == marking.exporting_nation:
                continue
            covered = _authorised(request, world, marking, nation) or _exempt(
                request, world, marking, nation
            )
            if covered is None:
                return RuleResult(
                    "export",
                    False,
                    f"{marking.regime} {marking.category}: nothing authorises export from "
                    f"{marking.exporting_nation} to a {nation} national"
                    + (f" at {_org(request)}" if subject.person_id else f" ({_org(request)})"),
                    f"an export authorisation from {marking.exporting_nation} covering "
                    f"{marking.category}, {nation}, the end user, this project and purpose",
                )
            reasons.append(covered)
    if not reasons:
        return RuleResult("export", True, "no citizenship is foreign to the exporting nation")
    return RuleResult("export", True, "; ".join(reasons))


def _authorised(request: Request, world: World, marking: ExportMarking, nation: str) -> str | None:
    auth = covering_authorisation(request, world, marking, nation)
    return None if auth is None else f"{marking.category} to {nation} under {auth.reference}"


def covering_authorisation(
    request: Request, world: World, marking: ExportMarking, nation: str
) -> ExportAuthorisation | None:
    """The first authorisation that covers exporting ``marking`` to a ``nation`` national
    (or organisation) for this request: a release draws down the one found here."""
    day, artifact = request.on, request.artifact
    for auth in world.authorisations:
        if not (
            auth.active
            and auth.issuing_nation == marking.exporting_nation
            and auth.regime == marking.regime
            and auth.valid_from <= day < auth.valid_until
            and _any_or(auth.categories, marking.category)
            and _any_or(auth.recipient_nations, nation)
            and _any_or(auth.end_users, request.subject.organisation_id)
            and (not auth.projects or artifact.project_id in auth.projects)
            and (not auth.purposes or request.purpose in auth.purposes)
        ):
            continue
        if request.action is Action.RELEASE_TO:
            if auth.remaining_value is not None and (request.value or 0) > auth.remaining_value:
                continue
            if (
                auth.remaining_quantity is not None
                and (request.quantity or 0) > auth.remaining_quantity
            ):
                continue
        return auth
    return None


def _exempt(request: Request, world: World, marking: ExportMarking, nation: str) -> str | None:
    day = request.on
    for exemption in world.exemptions:
        if (
            exemption.regime == marking.regime
            and exemption.exporting_nation == marking.exporting_nation
            and _any_or(exemption.recipient_nations, nation)
            and _any_or(exemption.categories, marking.category)
            and marking.category not in exemption.excluded_categories
            and (not exemption.projects or request.artifact.project_id in exemption.projects)
            and (not exemption.purposes or request.purpose in exemption.purposes)
            and (not exemption.actions or request.action in exemption.actions)
            and (exemption.valid_from is None or exemption.valid_from <= day)
            and (exemption.valid_until is None or day < exemption.valid_until)
        ):
            return f"{marking.category} to {nation} under the {exemption.name} exemption"
    return None


def _any_or(allowed: frozenset[object] | frozenset[str], value: object) -> bool:
    return not allowed or value in allowed


def _ip_use(request: Request, world: World) -> RuleResult:
    if request.action in (Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD):
        return RuleResult("ip_use", True, "IP terms restrict use, not reading")
    owners, subject, day = request.artifact.ip_owners, request.subject, request.on
    if not owners:
        return RuleResult("ip_use", True, "no IP terms attached")
    if subject.organisation_id in owners:
        return RuleResult("ip_use", True, "the subject's organisation owns the IP")
    purpose = request.purpose or ""
    asset = request.artifact.ip_asset
    terms = world.ip_assets.get(asset) if asset is not None else None
    if _access_right(request, world, terms, purpose):
        return RuleResult(
            "ip_use",
            True,
            f"the agreement's IP regime gives participants {_spelt(purpose)}",
        )
    for licence in world.licences:
        if (
            licence.active
            and licence.licensee == subject.organisation_id
            and (licence.asset == asset if licence.asset else bool(licence.licensors & owners))
            and purpose in licence.purposes
            and during(day, licence.valid_from, licence.valid_until)
            and _any_or(licence.territory, subject.organisation_nation)
        ):
            return RuleResult("ip_use", True, f"licensed under {licence.reference or 'a licence'}")
    name = terms.reference if terms else "the IP"
    owners_named = " or ".join(terms.owner_names) if terms and terms.owner_names else "the owners"
    return RuleResult(
        "ip_use",
        False,
        f"no right to use {name} for {_spelt(purpose) if purpose else 'an unstated purpose'}",
        f"a licence or access right on {name} from {owners_named} for "
        f"{_spelt(purpose) if purpose else 'a stated purpose'}",
    )


def _access_right(request: Request, world: World, terms: IpTerms | None, purpose: str) -> bool:
    """Whether the agreement's IP regime gives the subject's organisation, as a participant
    in the artifact's project on the day, the right to use it for ``purpose``."""
    project = _project(request, world)
    agreement = world.agreements.get(project.agreement_id) if project else None
    if agreement is None:
        return False
    if terms is not None and terms.agreement_id not in (None, agreement.id):
        return False  # IP of another agreement: its regime does not reach this project
    if terms is not None and terms.background:
        granted = frozenset() if terms.excluded else agreement.background_access
    else:
        granted = agreement.result_access
    return purpose in granted and _takes_part(
        project, request.subject.organisation_id, request.on, world
    )


def _spelt(purpose: str) -> str:
    return purpose.replace("_", " ")


def _embargo(request: Request, world: World) -> RuleResult:
    until = request.artifact.label.embargo_until
    if until is None or request.on >= until:
        return RuleResult("embargo", True, "not under embargo")
    return RuleResult("embargo", False, f"under embargo until {until}", f"wait until {until}")


RULES: dict[str, Callable[[Request, World], RuleResult]] = {
    "account": _account,
    "agreement": _agreement,
    "need_to_know": _need_to_know,
    "clearance": _clearance,
    "releasability": _releasability,
    "caveats": _caveats,
    "export": _export,
    "ip_use": _ip_use,
    "embargo": _embargo,
}


def _obligations(request: Request, world: World) -> tuple[str, ...]:
    label = request.artifact.label
    out = ["mark every view and copy with the label's banner"]
    if request.action is Action.RELEASE_TO:
        if "ORCON" in label.caveats:
            out.append(f"ORCON: the originator ({label.originator}) must approve the release")
        if level_of(request, world)[0] >= 1:  # classified, RESTRICTED included
            out.append(f"a security officer of {label.originator} must approve the release")
        if label.export:
            out.append("an export-control officer must approve the release")
    if label.review_on is not None and request.on >= label.review_on:
        out.append(f"warning: the label's review date {label.review_on} has passed")
    return tuple(out)


def _project(request: Request, world: World) -> Project | None:
    project_id = request.artifact.project_id
    return world.projects.get(project_id) if project_id is not None else None


def _takes_part(project: Project | None, organisation: uuid.UUID, day: date, world: World) -> bool:
    return project is not None and any(
        during(day, p.joined_on, p.withdrew_on)
        for p in world.participations.get((project.id, organisation), ())
    )


def _who(request: Request) -> str:
    return request.subject.name or (
        "the recipient" if request.subject.person_id is None else "the person"
    )


def _org(request: Request) -> str:
    return request.subject.organisation_name or str(request.subject.organisation_id)


def _marking(request: Request) -> str:
    label = request.artifact.label
    return f"{label.scheme} {label.classification}"
