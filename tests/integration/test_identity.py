"""Identity providers and what a sign-in does to a person's records, through the use cases
(the protocol is tests/api/test_sso_flow.py's): on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.audit.models import Event
from coalition.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from coalition.identity import services, signin
from coalition.identity.models import ExternalIdentity, IdentityProvider
from coalition.identity.rules import ASSERTED_CLEARANCE_DAYS
from coalition.identity.schemas import LinkIn, LinkOut, ProviderIn, ProviderPatch
from coalition.registry.models import Citizenship, Clearance, ClearanceStatus
from coalition.registry.people import add_clearance, update_clearance, update_person
from coalition.registry.schemas import ClearanceIn, ClearanceUpdate, PersonUpdate
from coalition.settings import Settings
from coalition.store.base import utcnow
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World, make_world

SECRET = "a-client-secret-that-never-reaches-the-database"


@pytest.fixture
def world(uow: UowFactory, operator: Principal) -> World:
    world = make_world(uow, operator)
    for username, person_id, lab in (
        ("bob", world.bob, world.gbr_lab),
        ("alice", world.alice, world.usa_lab),
    ):
        create_account(
            uow(),
            operator,
            AccountIn(
                username=username,
                display_name=username.title(),
                password=PASSWORD,
                person_id=person_id,
                grants=[
                    GrantIn(role=Role.RESEARCHER, scope_kind=ScopeKind.ORGANISATION, scope_id=lab)
                ],
            ),
        )
    return world


@pytest.fixture
def secret_file(settings: Settings) -> str:
    folder = settings.effective_sso_secrets_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gbr.secret"
    path.write_text(SECRET)
    path.chmod(0o600)
    return "gbr.secret"


def provider_in(**changes: Any) -> ProviderIn:
    values: dict[str, Any] = {
        "key": "gbr",
        "nation_code": "GBR",
        "display_name": "UK MOD Identity",
        "issuer": "https://id.mod.example.gb",
        "client_id": "coalition",
        "client_secret_file": "gbr.secret",
        "may_assert": ["clearance", "citizenship"],
    } | changes
    return ProviderIn.model_validate(values)


@pytest.fixture
def gbr(
    uow: UowFactory, operator: Principal, world: World, settings: Settings, secret_file: str
) -> str:
    return services.create_provider(uow(), operator, provider_in(), settings).key


def sign_in(uow: UowFactory, claims: dict[str, Any], key: str = "gbr") -> signin.SignedIn:
    return signin.complete_sign_in(uow(), key, claims, source="127.0.0.1", session_seconds=600)


def clearances(uow: UowFactory, person: uuid.UUID) -> list[tuple[str, str, date, str | None]]:
    with uow() as unit:
        rows = unit.session.scalars(select(Clearance).where(Clearance.person_id == person))
        return [(c.issuer, c.level_name, c.valid_until, c.asserted_by) for c in rows]


def tags(uow: UowFactory, prefix: str) -> list[str]:
    with uow() as unit:
        return list(
            unit.session.scalars(
                select(Event.tag).where(Event.tag.startswith(prefix)).order_by(Event.id)
            )
        )


# --- providers ---------------------------------------------------------------------------


def test_a_provider_is_kept_with_the_path_of_its_secret_never_the_secret(
    uow: UowFactory, gbr: str, operator: Principal
) -> None:
    [listed] = services.list_providers(uow(), operator)
    assert (listed.key, listed.nation_code, listed.may_assert) == (
        "gbr",
        "GBR",
        ["citizenship", "clearance"],
    )
    assert listed.scopes == ["openid", "profile"] and listed.account_claim == "preferred_username"
    assert listed.callback_path == "/login/sso/gbr/callback"
    with uow() as unit:
        row = unit.session.scalar(select(IdentityProvider))
        assert row is not None and SECRET not in repr(vars(row))
        details = [str(e.details) for e in unit.session.scalars(select(Event))]
    assert not any(SECRET in d for d in details)
    assert tags(uow, "identity:") == ["identity:provider:create"]


def test_providers_are_changed_and_disabled_with_the_changes_recorded(
    uow: UowFactory, gbr: str, operator: Principal, settings: Settings
) -> None:
    changed = services.update_provider(
        uow(), operator, gbr, ProviderPatch(display_name="UK Defence ID", may_assert=[]), settings
    )
    assert (changed.display_name, changed.may_assert, changed.version) == ("UK Defence ID", [], 2)
    with pytest.raises(ValidationFailed, match="body: changes nothing"):
        services.update_provider(
            uow(), operator, gbr, ProviderPatch(display_name="UK Defence ID"), settings
        )
    assert not services.disable_provider(uow(), operator, gbr).enabled
    with pytest.raises(Conflict):
        services.disable_provider(uow(), operator, gbr)
    assert services.sign_in_options(uow()) == []
    assert tags(uow, "identity:provider") == [
        "identity:provider:create",
        "identity:provider:update",
        "identity:provider:disable",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issuer": "http://id.mod.example.gb"}, "issuer", "must use https"),
        ({"issuer": "https://id.example/?tenant=1"}, "issuer", "query"),
        ({"nation_code": "XXX"}, "nation_code", "not an ISO 3166-1 alpha-3"),
        ({"scopes": ["profile"]}, "scopes", "must include 'openid'"),
        ({"may_assert": ["salary"]}, "may_assert.0", "'citizenship' or 'clearance'"),
        ({"key": "GBR provider"}, "key", "should match pattern"),
        ({"account_claim": "a b"}, "account_claim", "should match pattern"),
    ],
)
def test_a_provider_s_fields_are_checked_each_by_name(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(Exception) as caught:  # noqa: PT011  (pydantic's or ours, by field)
        provider_in(**changes)
    assert field in str(caught.value) and message in str(caught.value)


def test_plain_http_is_allowed_on_loopback_only() -> None:
    assert provider_in(issuer="http://127.0.0.1:5000").issuer == "http://127.0.0.1:5000"
    assert provider_in(issuer="http://localhost:5000/realm").issuer
    with pytest.raises(ValueError, match="must use https"):
        provider_in(issuer="http://10.0.0.1")


def test_the_secret_file_must_be_a_private_file_in_the_secrets_folder(
    uow: UowFactory, world: World, operator: Principal, settings: Settings, secret_file: str
) -> None:
    def refused(**changes: Any) -> str:
        with pytest.raises(ValidationFailed) as caught:
            services.create_provider(uow(), operator, provider_in(**changes), settings)
        [problem] = caught.value.problems
        assert problem.field == "client_secret_file"
        return problem.message

    assert "must be a file inside" in refused(client_secret_file="/etc/passwd")
    assert "must be a file inside" in refused(client_secret_file="../coalition.db")
    assert "cannot be read" in refused(client_secret_file="missing.secret")
    (settings.effective_sso_secrets_dir / "gbr.secret").chmod(0o640)
    assert "chmod 600" in refused()
    # A disabled provider may wait for its secret, but only inside the folder.
    made = services.create_provider(
        uow(), operator, provider_in(client_secret_file="later.secret", enabled=False), settings
    )
    assert not made.enabled


def test_only_node_administrators_manage_providers(
    uow: UowFactory, gbr: str, settings: Settings
) -> None:
    with uow() as unit:
        from coalition.accounts.models import Account
        from coalition.common.access import principal_for_account

        bob = unit.session.scalar(select(Account).where(Account.username == "bob"))
        assert bob is not None
        researcher = principal_for_account(unit.session, bob.id)
    assert researcher is not None
    with pytest.raises(PermissionDenied, match="node:identity:manage"):
        services.list_providers(uow(), researcher)
    with pytest.raises(PermissionDenied):
        services.create_provider(uow(), researcher, provider_in(key="fra"), settings)


def test_unknown_nation_and_duplicate_key_are_refused(
    uow: UowFactory, gbr: str, operator: Principal, settings: Settings
) -> None:
    with pytest.raises(ValidationFailed, match="nation_code: DEU is not a nation"):
        services.create_provider(
            uow(), operator, provider_in(key="deu", nation_code="DEU"), settings
        )
    with pytest.raises(Conflict, match="key: an identity provider 'gbr' exists already"):
        services.create_provider(uow(), operator, provider_in(), settings)
    with pytest.raises(NotFound):
        services.get_provider(uow(), operator, "nope")


# --- links ---------------------------------------------------------------------------------


def link(
    uow: UowFactory, operator: Principal, subject: str, account: str, key: str = "gbr"
) -> LinkOut:
    return services.link_identity(uow(), operator, key, LinkIn(subject=subject, account=account))


def links(uow: UowFactory, operator: Principal, key: str = "gbr") -> list[tuple[str, str]]:
    return [(k.subject, k.account) for k in services.list_links(uow(), operator, key)]


def test_an_administrator_links_and_unlinks_a_subject_each_recorded(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    made = link(uow, operator, "s-1", "bob")
    assert (made.provider, made.subject, made.account) == ("gbr", "s-1", "bob")
    assert made.last_sign_in_at is None
    assert links(uow, operator) == [("s-1", "bob")]
    assert services.get_provider(uow(), operator, gbr).linked_identities == 1
    signed = sign_in(uow, {"sub": "s-1"})
    assert signed.logged_in.principal.name == "bob"
    assert services.list_links(uow(), operator, gbr)[0].last_sign_in_at is not None

    services.unlink_identity(uow(), operator, gbr, "s-1")
    assert links(uow, operator) == []
    with pytest.raises(NotFound, match="no link of subject s-1"):
        services.unlink_identity(uow(), operator, gbr, "s-1")
    with pytest.raises(AuthenticationFailed, match="not linked"):
        sign_in(uow, {"sub": "s-1"})
    with uow() as unit:
        made_by = unit.session.scalars(
            select(Event)
            .where(Event.tag.in_(["identity:link:create", "identity:link:delete"]))
            .order_by(Event.id)
        ).all()
        assert [(e.tag, e.actor, e.details["subject"], e.details["account"]) for e in made_by] == [
            ("identity:link:create", "operator:tester", "s-1", "bob"),
            ("identity:link:delete", "operator:tester", "s-1", "bob"),
        ]
        assert made_by[0].details["issuer"] == "https://id.mod.example.gb"


def test_only_a_national_on_record_of_the_provider_s_nation_is_linked(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    with pytest.raises(ValidationFailed, match="account: alice's person is not a GBR national"):
        link(uow, operator, "s-9", "alice")
    with pytest.raises(ValidationFailed, match="account: no account named 'nobody'"):
        link(uow, operator, "s-9", "nobody")
    assert links(uow, operator) == []
    assert tags(uow, "identity:link") == []


def test_an_account_is_linked_to_one_subject_and_a_subject_to_one_account(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    with pytest.raises(Conflict, match="account: bob is linked to subject s-1 of gbr already"):
        link(uow, operator, "s-2", "bob")
    with pytest.raises(Conflict, match="subject: s-1 of gbr is linked to bob already"):
        link(uow, operator, "s-1", "bob")
    assert links(uow, operator) == [("s-1", "bob")]


def test_a_disabled_provider_links_nobody_but_keeps_its_links(
    uow: UowFactory, gbr: str, world: World, operator: Principal, settings: Settings
) -> None:
    link(uow, operator, "s-1", "bob")
    services.disable_provider(uow(), operator, gbr)
    with pytest.raises(Conflict, match="gbr is disabled"):
        link(uow, operator, "s-2", "bob")
    with pytest.raises(NotFound):
        sign_in(uow, {"sub": "s-1"})
    services.update_provider(uow(), operator, gbr, ProviderPatch(enabled=True), settings)
    assert sign_in(uow, {"sub": "s-1"}).logged_in.principal.name == "bob"


def test_only_node_administrators_link(uow: UowFactory, gbr: str, world: World) -> None:
    with uow() as unit:
        from coalition.accounts.models import Account
        from coalition.common.access import principal_for_account

        bob = unit.session.scalar(select(Account).where(Account.username == "bob"))
        assert bob is not None
        researcher = principal_for_account(unit.session, bob.id)
    assert researcher is not None
    for attempt in (
        lambda: services.link_identity(uow(), researcher, gbr, LinkIn(subject="s", account="bob")),
        lambda: services.unlink_identity(uow(), researcher, gbr, "s"),
        lambda: services.list_links(uow(), researcher, gbr),
    ):
        with pytest.raises(PermissionDenied, match="node:identity:manage"):
            attempt()


def test_a_subject_is_exactly_as_the_provider_sends_it() -> None:
    with pytest.raises(ValueError, match="exactly as the provider sends it"):
        LinkIn(subject=" s-1", account="bob")
    with pytest.raises(ValueError, match="at most 255"):
        LinkIn(subject="s" * 256, account="bob")
    assert LinkIn(subject="auth0|5f/7c", account="bob").subject == "auth0|5f/7c"


def test_changing_the_issuer_removes_the_provider_s_links(
    uow: UowFactory, gbr: str, world: World, operator: Principal, settings: Settings
) -> None:
    link(uow, operator, "s-1", "bob")
    services.update_provider(uow(), operator, gbr, ProviderPatch(display_name="UK ID"), settings)
    assert links(uow, operator) == [("s-1", "bob")]
    changed = services.update_provider(
        uow(), operator, gbr, ProviderPatch(issuer="https://login.mod.example.gb"), settings
    )
    assert changed.linked_identities == 0 and links(uow, operator) == []
    # The same "sub" at the new issuer may be anyone: it opens nothing.
    with pytest.raises(AuthenticationFailed, match=r"subject s-1\)"):
        sign_in(uow, {"sub": "s-1"})
    with uow() as unit:
        dropped = unit.session.scalar(select(Event).where(Event.tag == "identity:link:delete"))
        assert dropped is not None and dropped.actor == "operator:tester"
        assert dropped.details == {
            "provider": "gbr",
            "subject": "s-1",
            "account": "bob",
            "reason": "the provider's issuer changed",
        }


# --- what a sign-in does -----------------------------------------------------------------


def test_an_unlinked_subject_is_refused_naming_it_and_nothing_is_made(
    uow: UowFactory, gbr: str, world: World
) -> None:
    """The account takeover the review found: a provider's preferred_username (neither
    unique nor stable, OIDC Core 5.7) once chose the account at a first sign-in."""
    with pytest.raises(AuthenticationFailed) as refused:
        sign_in(
            uow,
            {"sub": "s-1", "preferred_username": "bob", "nationality": "GBR", "clearance": "SC"},
        )
    assert "(subject s-1) is not linked to an account on this node" in refused.value.detail
    assert "ask your node administrator" in refused.value.detail
    assert clearances(uow, world.bob) == []
    with uow() as unit:
        assert unit.session.scalar(select(ExternalIdentity)) is None
        refusal = unit.session.scalar(select(Event).where(Event.tag == "identity:sign_in:refuse"))
        assert refusal is not None
        assert refusal.details["reason"] == "not-linked"
        assert refusal.details["subject"] == "s-1"
        assert refusal.details["claimed_name"] == "bob"  # a hint for the administrator only
    assert tags(uow, "identity:") == ["identity:provider:create", "identity:sign_in:refuse"]


def test_a_claimed_username_never_chooses_the_account(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    # Someone renamed "bob" at the provider: another subject, refused.
    with pytest.raises(AuthenticationFailed, match=r"subject s-2\)"):
        sign_in(uow, {"sub": "s-2", "preferred_username": "bob"})
    # Bob renamed "alice" there: still Bob, by the link.
    assert sign_in(uow, {"sub": "s-1", "preferred_username": "alice"}).logged_in.principal.name == (
        "bob"
    )


def test_a_linked_national_signs_in_and_what_the_provider_may_assert_applies(
    uow: UowFactory, gbr: str, world: World, operator: Principal, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link(uow, operator, "s-1", "bob")
    signed = sign_in(
        uow,
        {
            "sub": "s-1",
            "preferred_username": "bob",
            "nationality": ["GBR", "USA"],
            "clearance": "SC",
        },
    )
    assert signed.logged_in.principal.name == "bob"
    today = utcnow().date()
    assert clearances(uow, world.bob) == [
        ("GBR", "SC", today + timedelta(days=ASSERTED_CLEARANCE_DAYS), "gbr")
    ]
    assert (
        "error",
        "Not accepted from UK MOD Identity: citizenship USA (gbr may assert "
        "citizenship of GBR only).",
    ) in signed.notes
    assert tags(uow, "identity:") == [
        "identity:provider:create",
        "identity:link:create",
        "identity:citizenship:refuse",
        "identity:clearance:assert",
    ]
    assert SECRET not in caplog.text


def test_a_later_assertion_carries_the_provider_s_own_clearance_forward(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    sign_in(uow, {"sub": "s-1", "preferred_username": "bob", "clearance": "SC"})
    sign_in(uow, {"sub": "s-1", "clearance": {"level": "DV", "valid_until": "2031-01-31"}})
    assert clearances(uow, world.bob) == [("GBR", "DV", date(2031, 1, 31), "gbr")]
    with uow() as unit:
        clearance = unit.session.scalar(select(Clearance))
        assert clearance is not None
        assert [h.reason for h in clearance.history] == ["asserted at sign-in by gbr"] * 2


def test_a_clearance_a_security_officer_recorded_stands(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    today = utcnow().date()
    add_clearance(
        uow(),
        operator,
        world.bob,
        ClearanceIn(
            issuer="GBR",
            level_name="SC",
            valid_from=today - timedelta(days=10),
            valid_until=today + timedelta(days=700),
        ),
    )
    sign_in(uow, {"sub": "s-1", "preferred_username": "bob", "clearance": "DV"})
    assert [(i, n, by) for i, n, _, by in clearances(uow, world.bob)] == [("GBR", "SC", None)]
    with uow() as unit:
        event = unit.session.scalar(select(Event).where(Event.tag == "identity:clearance:assert"))
        assert event is not None and event.details["applied"] == "not-applied"


def _only_clearance(uow: UowFactory, person: uuid.UUID) -> uuid.UUID:
    with uow() as unit:
        [found] = unit.session.scalars(select(Clearance.id).where(Clearance.person_id == person))
        return found


def _refusal_reasons(uow: UowFactory) -> list[str]:
    with uow() as unit:
        found = unit.session.scalars(
            select(Event).where(Event.tag == "identity:clearance:refuse").order_by(Event.id)
        )
        return [str(e.details["reason"]) for e in found]


def test_a_clearance_an_officer_revoked_is_not_asserted_again_until_an_officer_records_one(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    sign_in(uow, {"sub": "s-1", "clearance": "SC"})
    asserted = _only_clearance(uow, world.bob)
    update_clearance(
        uow(),
        operator,
        asserted,
        ClearanceUpdate(status=ClearanceStatus.REVOKED, reason="vetting withdrawn"),
    )

    signed = sign_in(uow, {"sub": "s-1", "clearance": "DV"})
    assert signed.logged_in.principal.name == "bob"  # signed in, but vouches for nothing
    assert [(n, by) for _, n, _, by in clearances(uow, world.bob)] == [("SC", "gbr")]
    [reason] = _refusal_reasons(uow)
    assert "a security officer revoked the GBR SC clearance on record" in reason
    assert any(
        "no assertion counts until an officer records a new one" in n for _, n in signed.notes
    )

    # The officer records a new clearance: the provider's assertions count again (and the
    # officer's record stands over them).
    today = utcnow().date()
    add_clearance(
        uow(),
        operator,
        world.bob,
        ClearanceIn(
            issuer="GBR", level_name="SC", valid_from=today, valid_until=today + timedelta(days=5)
        ),
    )
    sign_in(uow, {"sub": "s-1", "clearance": "DV"})
    assert len(_refusal_reasons(uow)) == 1
    with uow() as unit:
        applied = unit.session.scalars(
            select(Event.details).where(Event.tag == "identity:clearance:assert").order_by(Event.id)
        ).all()
        assert [d["applied"] for d in applied] == ["created", "not-applied"]


def test_a_clearance_an_officer_suspended_blocks_assertions_while_it_is_suspended(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    sign_in(uow, {"sub": "s-1", "clearance": "SC"})
    asserted = _only_clearance(uow, world.bob)
    update_clearance(
        uow(),
        operator,
        asserted,
        ClearanceUpdate(status=ClearanceStatus.SUSPENDED, reason="under review"),
    )
    sign_in(uow, {"sub": "s-1", "clearance": {"level": "DV", "valid_until": "2031-01-31"}})
    assert [(n, by) for _, n, _, by in clearances(uow, world.bob)] == [("SC", "gbr")]
    assert "a security officer suspended the GBR SC clearance" in _refusal_reasons(uow)[0]

    update_clearance(
        uow(),
        operator,
        asserted,
        ClearanceUpdate(status=ClearanceStatus.ACTIVE, reason="review closed"),
    )
    sign_in(uow, {"sub": "s-1", "clearance": {"level": "DV", "valid_until": "2031-01-31"}})
    assert clearances(uow, world.bob) == [("GBR", "DV", date(2031, 1, 31), "gbr")]


def test_a_sign_in_never_adds_a_citizenship_an_officer_removed(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    update_person(uow(), operator, world.bob, PersonUpdate(citizenships=["CAN"]))
    signed = sign_in(uow, {"sub": "s-1", "nationality": "GBR", "clearance": "SC"})
    assert signed.logged_in.principal.name == "bob"  # the link, not the citizenship, decides
    with uow() as unit:
        codes = unit.session.scalars(
            select(Citizenship.nation_code).where(Citizenship.person_id == world.bob)
        )
        assert sorted(codes) == ["CAN"]
    assert clearances(uow, world.bob) == []
    assert tags(uow, "identity:citizenship") == ["identity:citizenship:refuse"]
    assert (
        "error",
        "Not accepted from UK MOD Identity: citizenship GBR (not on record: a sign-in never "
        "adds a citizenship, a security officer records it).",
    ) in signed.notes
    [reason] = _refusal_reasons(uow)
    assert "not a national of GBR on record" in reason


def test_a_citizenship_on_record_is_only_confirmed(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    signed = sign_in(uow, {"sub": "s-1", "nationality": "GBR"})
    assert signed.notes == []
    assert tags(uow, "identity:citizenship") == []
    with uow() as unit:
        codes = unit.session.scalars(
            select(Citizenship.nation_code).where(Citizenship.person_id == world.bob)
        )
        assert sorted(codes) == ["CAN", "GBR"]


def test_attributes_the_provider_may_not_assert_are_ignored_and_logged(
    uow: UowFactory,
    gbr: str,
    world: World,
    operator: Principal,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    link(uow, operator, "s-1", "bob")
    services.update_provider(uow(), operator, gbr, ProviderPatch(may_assert=[]), settings)
    caplog.set_level(logging.INFO, logger="coalition.identity")
    signed = sign_in(uow, {"sub": "s-1", "preferred_username": "bob", "clearance": "DV"})
    assert signed.notes == [] and clearances(uow, world.bob) == []
    assert "sent 'clearance', which it may not assert: ignored" in caplog.text


def test_a_provider_never_opens_another_nation_s_account_even_asserting_its_citizenship(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    with pytest.raises(ValidationFailed):
        link(uow, operator, "s-9", "alice")
    with pytest.raises(AuthenticationFailed, match="not linked"):
        sign_in(uow, {"sub": "s-9", "preferred_username": "alice", "nationality": "GBR"})
    with uow() as unit:
        codes = unit.session.scalars(
            select(Citizenship.nation_code).where(Citizenship.person_id == world.alice)
        )
        assert list(codes) == ["USA"]


def test_a_disabled_provider_signs_nobody_in(
    uow: UowFactory, gbr: str, world: World, operator: Principal
) -> None:
    link(uow, operator, "s-1", "bob")
    services.disable_provider(uow(), operator, gbr)
    with pytest.raises(NotFound):
        sign_in(uow, {"sub": "s-1", "preferred_username": "bob"})


def test_a_token_of_the_former_issuer_opens_nothing_after_the_issuer_changed(
    uow: UowFactory, gbr: str, world: World, operator: Principal, settings: Settings
) -> None:
    """A sign-in verified against the old issuer while the administrator moved the provider
    and linked the same "sub" at the new one: that subject may be another person."""
    services.update_provider(
        uow(), operator, gbr, ProviderPatch(issuer="https://login.mod.example.gb"), settings
    )
    link(uow, operator, "s-1", "bob")
    with pytest.raises(AuthenticationFailed, match="changed during your sign-in"):
        signin.complete_sign_in(
            uow(),
            gbr,
            {"sub": "s-1"},
            source="127.0.0.1",
            session_seconds=600,
            issuer="https://id.mod.example.gb",
        )
    signed = signin.complete_sign_in(
        uow(),
        gbr,
        {"sub": "s-1"},
        source="127.0.0.1",
        session_seconds=600,
        issuer="https://login.mod.example.gb",
    )
    assert signed.logged_in.principal.name == "bob"
