"""The facts a release decision reads, as plain frozen values.

Services load them from the database; `coalition policy eval` loads them from a world file.
Nothing here knows where they came from, so both paths run the same engine.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from coalition.policy.labels import ExportRegime, SecurityLabel


class Action(enum.StrEnum):
    VIEW_METADATA = "view_metadata"
    READ = "read"
    DOWNLOAD = "download"
    RELEASE_TO = "release_to"
    USE_FOR = "use_for"


class Purpose(enum.StrEnum):
    CARRYING_OUT_THE_PROJECT = "carrying_out_the_project"
    GOVERNMENT_PURPOSES = "government_purposes"
    COMMERCIAL_EXPLOITATION = "commercial_exploitation"
    SALE_TO_THIRD_PARTIES = "sale_to_third_parties"


def during(day: date, start: date, end: date | None) -> bool:
    """``day`` in [start, end): an end date is the first day no longer covered."""
    return start <= day and (end is None or day < end)


@dataclass(frozen=True, slots=True)
class Clearance:
    issuer: str  # nation trigraph, NATO or EU
    level: int
    valid_from: date
    valid_until: date
    active: bool = True  # not suspended or revoked


@dataclass(frozen=True, slots=True)
class Briefing:
    name: str
    given_on: date
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    project_id: uuid.UUID
    role: str
    joined_on: date
    left_on: date | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """An explicit need-to-know grant for one artifact."""

    artifact_id: uuid.UUID
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """A person asking, or an organisation receiving a release (``person_id`` None)."""

    organisation_id: uuid.UUID
    organisation_nation: str
    citizenships: frozenset[str]
    active: bool = True
    person_id: uuid.UUID | None = None
    name: str = ""
    organisation_name: str = ""
    dual_national_exemption: bool = False
    clearances: tuple[Clearance, ...] = ()
    briefings: tuple[Briefing, ...] = ()
    memberships: tuple[Membership, ...] = ()
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True, slots=True)
class Artifact:
    id: uuid.UUID
    project_id: uuid.UUID | None
    owner_organisation_id: uuid.UUID
    label: SecurityLabel
    #: Organisations owning the IP the artifact carries (empty: no IP terms attached).
    ip_owners: frozenset[uuid.UUID] = frozenset()
    #: The IP asset those owners hold; a licence for another asset does not cover it.
    ip_asset: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Participation:
    organisation_id: uuid.UUID
    joined_on: date
    withdrew_on: date | None = None


@dataclass(frozen=True, slots=True)
class Project:
    id: uuid.UUID
    agreement_id: uuid.UUID
    participants: tuple[Participation, ...] = ()


@dataclass(frozen=True, slots=True)
class Agreement:
    id: uuid.UUID
    in_force: bool  # status is in force (not draft, suspended, terminated, expired)
    effective_from: date
    expires_on: date | None = None
    #: Purposes the IP regime lets participants use results for, without a licence.
    result_access: frozenset[str] = frozenset({"carrying_out_the_project"})
    #: The same for background a party included under the agreement.
    background_access: frozenset[str] = frozenset({"carrying_out_the_project"})


@dataclass(frozen=True, slots=True)
class SecurityAgreement:
    parties: frozenset[str]
    max_level: int
    in_force_from: date
    in_force_until: date | None = None


@dataclass(frozen=True, slots=True)
class GroupMember:
    nation: str
    joined_on: date
    left_on: date | None = None


@dataclass(frozen=True, slots=True)
class ExportAuthorisation:
    reference: str
    issuing_nation: str
    regime: ExportRegime
    valid_from: date
    valid_until: date
    #: An empty set means "any".
    categories: frozenset[str] = frozenset()
    recipient_nations: frozenset[str] = frozenset()
    end_users: frozenset[uuid.UUID] = frozenset()
    projects: frozenset[uuid.UUID] = frozenset()
    purposes: frozenset[str] = frozenset()
    active: bool = True
    remaining_value: float | None = None
    remaining_quantity: int | None = None


@dataclass(frozen=True, slots=True)
class Exemption:
    """A named exemption (e.g. ITAR's Canadian exemption) whose conditions are data:
    every listed condition must hold; an empty set means "any"."""

    name: str
    regime: ExportRegime
    exporting_nation: str
    recipient_nations: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    excluded_categories: frozenset[str] = frozenset()
    projects: frozenset[uuid.UUID] = frozenset()
    purposes: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class Licence:
    licensee: uuid.UUID
    licensors: frozenset[uuid.UUID]
    purposes: frozenset[str]
    valid_from: date
    valid_until: date | None = None
    #: Nations where the licence may be used; empty means worldwide.
    territory: frozenset[str] = frozenset()
    active: bool = True
    reference: str = ""
    #: The asset licensed; None covers every asset of the licensors.
    asset: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class IpTerms:
    """What the `ip_use` rule reads of an IP asset besides its owners: its name and owners'
    names (a denial names them), whether it is background and, if so, whether its owner
    excluded it from the agreement, and the agreement it belongs to."""

    reference: str
    owner_names: tuple[str, ...] = ()
    background: bool = False
    excluded: bool = False
    agreement_id: uuid.UUID | None = None


@dataclass(frozen=True)
class World:
    """Everything else a decision may read, indexed for the lookups the rules make."""

    projects: Mapping[uuid.UUID, Project] = field(default_factory=dict)
    agreements: Mapping[uuid.UUID, Agreement] = field(default_factory=dict)
    security_agreements: tuple[SecurityAgreement, ...] = ()
    groups: Mapping[str, tuple[GroupMember, ...]] = field(default_factory=dict)
    authorisations: tuple[ExportAuthorisation, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    licences: tuple[Licence, ...] = ()
    #: Common level of each (scheme, marking), and whether it needs a clearance.
    levels: Mapping[tuple[str, str], tuple[int, bool]] = field(default_factory=dict)
    #: Terms of the IP assets artifacts carry, by asset id.
    ip_assets: Mapping[uuid.UUID, IpTerms] = field(default_factory=dict)

    def members(self, group: str, on: date) -> frozenset[str]:
        key = (group, on)
        found = self._members.get(key)
        if found is None:
            found = frozenset(
                m.nation for m in self.groups.get(group, ()) if during(on, m.joined_on, m.left_on)
            )
            self._members[key] = found
        return found

    # Indexes for the lookups the rules make, derived from the fields above on first use.
    # A World is never changed after it is made (what-if makes a new one), so they stay true.

    @cached_property
    def _members(self) -> dict[tuple[str, date], frozenset[str]]:
        return {}

    @cached_property
    def security_agreements_by_pair(self) -> dict[tuple[str, str], tuple[SecurityAgreement, ...]]:
        """Agreements naming both parties, under (issuer, originator) in either order."""
        index: dict[tuple[str, str], list[SecurityAgreement]] = {}
        for agreement in self.security_agreements:
            for a in agreement.parties:
                for b in agreement.parties:
                    index.setdefault((a, b), []).append(agreement)
        return {pair: tuple(found) for pair, found in index.items()}

    @cached_property
    def participations(self) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[Participation, ...]]:
        """(project, organisation) -> the organisation's participations in the project."""
        index: dict[tuple[uuid.UUID, uuid.UUID], list[Participation]] = {}
        for project in self.projects.values():
            for participation in project.participants:
                index.setdefault((project.id, participation.organisation_id), []).append(
                    participation
                )
        return {key: tuple(found) for key, found in index.items()}


@dataclass(frozen=True, slots=True)
class Request:
    subject: Subject
    artifact: Artifact
    action: Action
    on: date
    purpose: str | None = None
    value: float | None = None
    quantity: int | None = None
