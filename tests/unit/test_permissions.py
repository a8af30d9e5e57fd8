"""The permission table and the one permission function."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from coalition.accounts.permissions import (
    ROLE_PERMISSIONS,
    Grant,
    Permission,
    Principal,
    Role,
    ScopeKind,
    Target,
    authorize,
    holds_somewhere,
)

P = Permission
ORG_A, ORG_B, PROJECT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def holder(*grants: Grant, active: bool = True) -> Principal:
    return Principal(name="someone", account_id=uuid.uuid4(), active=active, grants=grants)


def test_permission_table_is_exactly_as_designed() -> None:
    read = {P.DIRECTORY_READ}
    assert {
        Role.NODE_ADMIN: frozenset(Permission),
        Role.ORGANISATION_ADMIN: frozenset(
            read
            | {
                P.ORGANISATION_UPDATE,
                P.PERSON_CREATE,
                P.PERSON_UPDATE,
                P.CLEARANCE_READ,
                P.EXPERTISE_MANAGE,
            }
        ),
        Role.SECURITY_OFFICER: frozenset(
            read
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
            read
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
            read
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
            read | {P.ARTIFACT_CREATE, P.RELEASE_REQUEST, P.FACILITY_BOOK, P.VISIT_REQUEST}
        ),
        Role.IP_OFFICER: frozenset(read | {P.IP_RECORD_MANAGE, P.DISPUTE_MANAGE}),
        Role.FINANCE_OFFICER: frozenset(read | {P.FUNDING_MANAGE, P.DISPUTE_MANAGE}),
        Role.FACILITY_MANAGER: frozenset(
            read | {P.FACILITY_MANAGE, P.FACILITY_BOOK, P.VISIT_REQUEST}
        ),
        Role.AUDITOR: frozenset(
            read | {P.CLEARANCE_READ, P.EVENT_READ, P.DECISION_EXPLAIN, P.WHAT_IF, P.LEDGER_READ}
        ),
    } == ROLE_PERMISSIONS


def test_permission_names_follow_scope_resource_action() -> None:
    for permission in Permission:
        scope, resource, action = permission.value.split(":")
        assert scope in {k.value for k in ScopeKind} | {"any"}
        assert resource and action


def test_nobody_without_grants_may_do_anything() -> None:
    for permission in Permission:
        decision = authorize(holder(), permission, Target.of([ORG_A], PROJECT))
        assert not decision.allowed
        assert str(permission) in decision.reason


def test_inactive_principal_is_refused_even_as_node_admin() -> None:
    admin = holder(Grant(Role.NODE_ADMIN, ScopeKind.NODE), active=False)
    decision = authorize(admin, P.DIRECTORY_READ, Target.node())
    assert not decision.allowed and "not active" in decision.reason


def test_organisation_role_covers_only_its_organisation() -> None:
    officer = holder(Grant(Role.SECURITY_OFFICER, ScopeKind.ORGANISATION, ORG_A))
    assert authorize(officer, P.CLEARANCE_MANAGE, Target.of([ORG_A]))
    assert not authorize(officer, P.CLEARANCE_MANAGE, Target.of([ORG_B]))


def test_organisation_role_cannot_use_node_wide_permissions() -> None:
    officer = holder(Grant(Role.SECURITY_OFFICER, ScopeKind.ORGANISATION, ORG_A))
    assert not authorize(officer, P.SECURITY_AGREEMENT_MANAGE, Target.node())
    org_admin = holder(Grant(Role.NODE_ADMIN, ScopeKind.ORGANISATION, ORG_A))
    assert not authorize(org_admin, P.ORGANISATION_CREATE, Target.of([ORG_A]))


def test_any_role_anywhere_may_read_the_directory() -> None:
    researcher = holder(Grant(Role.RESEARCHER, ScopeKind.PROJECT, PROJECT))
    assert authorize(researcher, P.DIRECTORY_READ, Target.node())


def test_project_role_covers_its_project_only() -> None:
    manager = holder(Grant(Role.PROGRAMME_MANAGER, ScopeKind.PROJECT, PROJECT))
    assert authorize(manager, P.PROJECT_PLAN_MANAGE, Target.of([], PROJECT))
    assert not authorize(manager, P.PROJECT_PLAN_MANAGE, Target.of([], uuid.uuid4()))
    assert not authorize(manager, P.PROJECT_CREATE, Target.of([ORG_A], PROJECT))


def test_funding_is_kept_by_a_role_held_in_an_organisation_not_in_a_project() -> None:
    for role in (Role.FINANCE_OFFICER, Role.PROGRAMME_MANAGER):
        in_organisation = holder(Grant(role, ScopeKind.ORGANISATION, ORG_A))
        assert authorize(in_organisation, P.FUNDING_MANAGE, Target.of([ORG_A], PROJECT))
        assert not authorize(in_organisation, P.FUNDING_MANAGE, Target.of([ORG_B], PROJECT))
        in_project = holder(Grant(role, ScopeKind.PROJECT, PROJECT))
        assert not authorize(in_project, P.FUNDING_MANAGE, Target.of([ORG_A], PROJECT))
    researcher = holder(Grant(Role.RESEARCHER, ScopeKind.ORGANISATION, ORG_A))
    assert not authorize(researcher, P.FUNDING_MANAGE, Target.of([ORG_A]))


def test_allowed_decision_names_the_grant_used() -> None:
    manager = holder(Grant(Role.PROGRAMME_MANAGER, ScopeKind.ORGANISATION, ORG_A))
    decision = authorize(manager, P.PROJECT_CREATE, Target.of([ORG_A]))
    assert decision.allowed
    assert "programme_manager" in decision.reason and str(ORG_A) in decision.reason


def test_operator_is_allowed_with_a_reason() -> None:
    decision = authorize(Principal.operator("ops"), P.ACCOUNT_MANAGE, Target.node())
    assert decision.allowed and "operator" in decision.reason


grants = st.builds(
    Grant,
    role=st.sampled_from(list(Role)),
    scope_kind=st.sampled_from(list(ScopeKind)),
    scope_id=st.sampled_from([None, ORG_A, ORG_B, PROJECT]),
)


@given(
    st.lists(grants, max_size=4),
    st.sampled_from(list(Permission)),
    st.sampled_from([Target.node(), Target.of([ORG_A]), Target.of([ORG_B], PROJECT)]),
)
def test_adding_a_grant_never_removes_a_permission(
    held: list[Grant], permission: Permission, target: Target
) -> None:
    before = authorize(holder(*held), permission, target).allowed
    for extra in (Grant(r, ScopeKind.NODE) for r in Role):
        after = authorize(holder(*held, extra), permission, target).allowed
        assert after or not before


@given(st.lists(grants, max_size=4), st.sampled_from(list(Permission)))
def test_a_permission_is_granted_only_by_a_role_that_has_it(
    held: list[Grant], permission: Permission
) -> None:
    decision = authorize(holder(*held), permission, Target.of([ORG_A, ORG_B], PROJECT))
    if decision.allowed:
        assert any(permission in ROLE_PERMISSIONS[g.role] for g in held)


def test_nobody_manages_their_own_clearances_or_briefings() -> None:
    me = uuid.uuid4()
    officer = Principal(
        name="officer",
        account_id=uuid.uuid4(),
        active=True,
        grants=(Grant(Role.NODE_ADMIN, ScopeKind.NODE),),
        person_id=me,
    )
    for permission in (P.CLEARANCE_MANAGE, P.BRIEFING_MANAGE):
        assert not authorize(officer, permission, Target.of([ORG_A], person=me))
        assert authorize(officer, permission, Target.of([ORG_A], person=uuid.uuid4()))
    assert authorize(officer, P.CLEARANCE_READ, Target.of([ORG_A], person=me))


@given(st.lists(grants, max_size=4), st.sampled_from(list(Permission)))
def test_holding_a_permission_somewhere_is_exactly_being_allowed_it_on_some_object(
    held: list[Grant], permission: Permission
) -> None:
    """holds_somewhere (which forms to offer) agrees with authorize: true if and only if
    some object exists whose check the principal would pass."""
    principal = holder(*held)
    scopes = {g.scope_id for g in held if g.scope_id is not None}
    targets = [Target.node(), *(Target.of([s], s) for s in scopes)]
    some = any(authorize(principal, permission, t).allowed for t in targets)
    assert holds_somewhere(principal, permission) == some


def test_an_organisation_finance_officer_holds_funding_manage_somewhere_not_on_the_node() -> None:
    officer = holder(Grant(Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, ORG_A))
    assert holds_somewhere(officer, P.FUNDING_MANAGE)
    assert not authorize(officer, P.FUNDING_MANAGE, Target.node())
    assert not holds_somewhere(holder(Grant(Role.RESEARCHER, ScopeKind.NODE)), P.FUNDING_MANAGE)


def test_only_node_administrators_manage_identity_providers() -> None:
    """Which provider may vouch for whose clearances is node configuration, not a
    security officer's: an officer records clearances, the node decides whom to trust."""
    holding = {
        role for role, permissions in ROLE_PERMISSIONS.items() if P.IDENTITY_MANAGE in permissions
    }
    assert holding == {Role.NODE_ADMIN}
    assert P.IDENTITY_MANAGE.scope_kind is ScopeKind.NODE
    officer = holder(Grant(Role.SECURITY_OFFICER, ScopeKind.NODE))
    assert not authorize(officer, P.IDENTITY_MANAGE, Target.node())
    assert authorize(
        holder(Grant(Role.NODE_ADMIN, ScopeKind.NODE)), P.IDENTITY_MANAGE, Target.node()
    )
