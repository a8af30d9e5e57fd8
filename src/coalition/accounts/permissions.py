"""Who may do what: roles held in scopes, permissions named ``scope:resource:action``,
and the one function that decides, with a reason.

Pure: no database access. Services load the principal's roles and the target's scope
chain and ask :func:`authorize`; routes, views and commands never test roles themselves.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field


class ScopeKind(enum.StrEnum):
    NODE = "node"
    ORGANISATION = "organisation"
    PROJECT = "project"


class Role(enum.StrEnum):
    NODE_ADMIN = "node_admin"
    ORGANISATION_ADMIN = "organisation_admin"
    SECURITY_OFFICER = "security_officer"
    EXPORT_CONTROL_OFFICER = "export_control_officer"
    PROGRAMME_MANAGER = "programme_manager"
    RESEARCHER = "researcher"
    IP_OFFICER = "ip_officer"
    FINANCE_OFFICER = "finance_officer"
    FACILITY_MANAGER = "facility_manager"
    AUDITOR = "auditor"


class Permission(enum.StrEnum):
    """The first part names the narrowest scope a role may be held in to grant it;
    ``any`` means a role held in any scope grants it everywhere (reading the directory)."""

    DIRECTORY_READ = "any:directory:read"
    NATION_MANAGE = "node:nation:manage"
    SECURITY_AGREEMENT_MANAGE = "node:security_agreement:manage"
    ORGANISATION_CREATE = "node:organisation:create"
    ACCOUNT_MANAGE = "node:account:manage"
    EVENT_READ = "node:event:read"
    ORGANISATION_UPDATE = "organisation:organisation:update"
    PERSON_CREATE = "organisation:person:create"
    PERSON_UPDATE = "organisation:person:update"
    CLEARANCE_READ = "organisation:clearance:read"
    CLEARANCE_MANAGE = "organisation:clearance:manage"
    BRIEFING_MANAGE = "organisation:briefing:manage"
    AGREEMENT_CREATE = "organisation:agreement:create"
    AGREEMENT_UPDATE = "organisation:agreement:update"
    AGREEMENT_STATUS = "organisation:agreement:status"
    PROJECT_CREATE = "organisation:project:create"
    PROJECT_UPDATE = "project:project:update"
    PROJECT_TEAM_MANAGE = "project:team:manage"
    PROJECT_PLAN_MANAGE = "project:plan:manage"
    ARTIFACT_CREATE = "organisation:artifact:create"
    ARTIFACT_RELABEL = "organisation:artifact:relabel"
    NEED_TO_KNOW_GRANT = "organisation:need_to_know:grant"
    DECISION_EXPLAIN = "organisation:decision:explain"
    DUAL_NATIONAL_EXEMPT = "organisation:dual_national:exempt"
    WHAT_IF = "any:decision:what_if"
    EXPORT_RECORD_MANAGE = "node:export_record:manage"
    IP_RECORD_MANAGE = "node:ip_record:manage"
    FUNDING_MANAGE = "organisation:funding:manage"
    FACILITY_MANAGE = "organisation:facility:manage"
    FACILITY_BOOK = "project:facility:book"
    VISIT_REQUEST = "organisation:visit:request"
    VISIT_CONFIRM_CLEARANCE = "organisation:visit:confirm_clearance"
    VISIT_APPROVE = "organisation:visit:approve"
    VISIT_REMIND = "node:visit:remind"
    EXPERTISE_MANAGE = "organisation:expertise:manage"
    GOVERNANCE_MANAGE = "organisation:governance:manage"
    GOVERNANCE_TICK = "node:governance:tick"
    RISK_MANAGE = "project:risk:manage"
    DISPUTE_MANAGE = "organisation:dispute:manage"
    LEDGER_READ = "node:ledger:read"
    PARTNER_MANAGE = "node:partner:manage"
    IDENTITY_MANAGE = "node:identity:manage"
    RELEASE_REQUEST = "organisation:release:request"
    RELEASE_APPROVE_CLASSIFIED = "organisation:release:approve_classified"
    RELEASE_APPROVE_EXPORT = "organisation:release:approve_export"
    RELEASE_APPROVE_ORIGINATOR = "organisation:release:approve_originator"

    @property
    def scope_kind(self) -> ScopeKind | None:
        """None for permissions that hold everywhere once granted anywhere."""
        prefix = self.value.split(":", 1)[0]
        return None if prefix == "any" else ScopeKind(prefix)


P = Permission
_EVERYONE_READS = {P.DIRECTORY_READ}

#: The permission table. Asserted exactly in tests/unit/test_permissions.py.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.NODE_ADMIN: frozenset(Permission),
    Role.ORGANISATION_ADMIN: frozenset(
        _EVERYONE_READS
        | {
            P.ORGANISATION_UPDATE,
            P.PERSON_CREATE,
            P.PERSON_UPDATE,
            P.CLEARANCE_READ,
            P.EXPERTISE_MANAGE,
        }
    ),
    Role.SECURITY_OFFICER: frozenset(
        _EVERYONE_READS
        | {
            P.SECURITY_AGREEMENT_MANAGE,
            P.PERSON_CREATE,
            P.PERSON_UPDATE,
            P.CLEARANCE_READ,
            P.CLEARANCE_MANAGE,
            P.BRIEFING_MANAGE,
            P.EVENT_READ,
            P.ARTIFACT_RELABEL,
            P.NEED_TO_KNOW_GRANT,
            P.DECISION_EXPLAIN,
            P.DUAL_NATIONAL_EXEMPT,
            P.WHAT_IF,
            P.LEDGER_READ,
            P.RELEASE_APPROVE_CLASSIFIED,
            P.RELEASE_APPROVE_ORIGINATOR,
            P.VISIT_REQUEST,
            P.VISIT_CONFIRM_CLEARANCE,
            P.VISIT_APPROVE,
        }
    ),
    Role.EXPORT_CONTROL_OFFICER: frozenset(
        _EVERYONE_READS
        | {
            P.CLEARANCE_READ,
            P.BRIEFING_MANAGE,
            P.DECISION_EXPLAIN,
            P.WHAT_IF,
            P.EXPORT_RECORD_MANAGE,
            P.RELEASE_APPROVE_EXPORT,
        }
    ),
    Role.PROGRAMME_MANAGER: frozenset(
        _EVERYONE_READS
        | {
            P.AGREEMENT_CREATE,
            P.AGREEMENT_UPDATE,
            P.AGREEMENT_STATUS,
            P.PROJECT_CREATE,
            P.PROJECT_UPDATE,
            P.PROJECT_TEAM_MANAGE,
            P.PROJECT_PLAN_MANAGE,
            P.ARTIFACT_CREATE,
            P.NEED_TO_KNOW_GRANT,
            P.RELEASE_REQUEST,
            P.RELEASE_APPROVE_ORIGINATOR,
            P.FUNDING_MANAGE,
            P.FACILITY_BOOK,
            P.VISIT_REQUEST,
            P.EXPERTISE_MANAGE,
            P.GOVERNANCE_MANAGE,
            P.RISK_MANAGE,
            P.DISPUTE_MANAGE,
        }
    ),
    Role.RESEARCHER: frozenset(
        _EVERYONE_READS | {P.ARTIFACT_CREATE, P.RELEASE_REQUEST, P.FACILITY_BOOK, P.VISIT_REQUEST}
    ),
    # IP terms of agreements are amended by the parties' programme managers; the IP
    # registers (a later issue) are the IP officer's own.
    Role.IP_OFFICER: frozenset(_EVERYONE_READS | {P.IP_RECORD_MANAGE, P.DISPUTE_MANAGE}),
    # Budgets, costs, contributions and workshare of their own organisation and those
    # under it; another party's finance officer records the oversight body's acceptance of
    # an in-kind valuation (coalition.funding.services.decide_contribution).
    Role.FINANCE_OFFICER: frozenset(_EVERYONE_READS | {P.FUNDING_MANAGE, P.DISPUTE_MANAGE}),
    # The catalogue entries of their organisation's facilities and the decisions on their
    # bookings; they request visits to partners' facilities for their people.
    Role.FACILITY_MANAGER: frozenset(
        _EVERYONE_READS | {P.FACILITY_MANAGE, P.FACILITY_BOOK, P.VISIT_REQUEST}
    ),
    Role.AUDITOR: frozenset(
        _EVERYONE_READS
        | {P.CLEARANCE_READ, P.EVENT_READ, P.DECISION_EXPLAIN, P.WHAT_IF, P.LEDGER_READ}
    ),
}

#: Vetting records, and the citizenships and employer that clearance and releasability
#: checks read, are kept by someone else: nobody changes their own.
NOT_ABOUT_ONESELF = frozenset(
    {
        Permission.CLEARANCE_MANAGE,
        Permission.BRIEFING_MANAGE,
        Permission.PERSON_UPDATE,
        Permission.DUAL_NATIONAL_EXEMPT,
        Permission.VISIT_CONFIRM_CLEARANCE,
        Permission.VISIT_APPROVE,
    }
)

# A role held in a narrow scope can only grant permissions meant for that scope or
# narrower: an organisation admin cannot create organisations on the node.
_SCOPE_BREADTH = {ScopeKind.NODE: 0, ScopeKind.ORGANISATION: 1, ScopeKind.PROJECT: 2}


@dataclass(frozen=True)
class Grant:
    role: Role
    scope_kind: ScopeKind
    scope_id: uuid.UUID | None = None

    def describe(self) -> str:
        if self.scope_kind is ScopeKind.NODE:
            return f"{self.role} on the node"
        return f"{self.role} in {self.scope_kind} {self.scope_id}"


@dataclass(frozen=True)
class Principal:
    """Whoever acts: an account with its grants, or the local operator using the CLI."""

    name: str
    account_id: uuid.UUID | None
    active: bool
    grants: tuple[Grant, ...] = ()
    person_id: uuid.UUID | None = None
    is_operator: bool = False

    @classmethod
    def operator(cls, name: str) -> Principal:
        """The person at the node's shell, who already holds its database and keys."""
        return cls(name=f"operator:{name}", account_id=None, active=True, is_operator=True)


@dataclass(frozen=True)
class Target:
    """Where an object sits: the organisations and project whose roles may act on it."""

    organisation_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    project_id: uuid.UUID | None = None
    #: The person the object is about (their clearances, briefings), if any.
    person_id: uuid.UUID | None = None

    @classmethod
    def node(cls) -> Target:
        return cls()

    @classmethod
    def of(
        cls,
        organisations: Iterable[uuid.UUID] = (),
        project: uuid.UUID | None = None,
        person: uuid.UUID | None = None,
    ) -> Target:
        return cls(frozenset(organisations), project, person)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def authorize(principal: Principal, permission: Permission, target: Target) -> Decision:
    """Decide whether ``principal`` may use ``permission`` on an object at ``target``.

    Deny by default; the first grant that covers the target allows, and its reason says which.
    """
    if not principal.active:
        return Decision(False, f"{principal.name} is not active")
    if principal.is_operator:
        return Decision(True, "local operator on the node")
    if (
        permission in NOT_ABOUT_ONESELF
        and principal.person_id is not None
        and principal.person_id == target.person_id
    ):
        return Decision(False, f"{permission} is never granted on one's own record")
    for grant in principal.grants:
        if permission not in ROLE_PERMISSIONS[grant.role]:
            continue
        wanted_scope = permission.scope_kind
        if wanted_scope is None:
            return Decision(True, f"{permission} granted by {grant.describe()}")
        if _SCOPE_BREADTH[grant.scope_kind] > _SCOPE_BREADTH[wanted_scope]:
            continue
        if _covers(grant, target):
            return Decision(True, f"{permission} granted by {grant.describe()}")
    return Decision(False, f"{permission} is not granted to {principal.name} here")


def holds_somewhere(principal: Principal, permission: Permission) -> bool:
    """Whether any of the principal's grants could allow ``permission`` on some object:
    which forms to offer, and whether a batch is worth checking row by row. The object's
    own check (:func:`authorize`) still decides."""
    if not principal.active:
        return False
    if principal.is_operator:
        return True
    wanted = permission.scope_kind
    return any(
        permission in ROLE_PERMISSIONS[grant.role]
        and (
            wanted is None
            or (
                _SCOPE_BREADTH[grant.scope_kind] <= _SCOPE_BREADTH[wanted]
                and (grant.scope_kind is ScopeKind.NODE or grant.scope_id is not None)
            )
        )
        for grant in principal.grants
    )


def _covers(grant: Grant, target: Target) -> bool:
    if grant.scope_kind is ScopeKind.NODE:
        return True
    if grant.scope_kind is ScopeKind.ORGANISATION:
        return grant.scope_id in target.organisation_ids
    return grant.scope_id is not None and grant.scope_id == target.project_id
