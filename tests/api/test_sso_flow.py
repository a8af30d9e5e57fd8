"""Single sign-on through a real OpenID provider (oidc-provider on node, tests/oidc): the
node redirects, the provider's login and consent forms are submitted, the node redeems the
code with its PKCE verifier and verifies the ID token, then signs in the account an
administrator linked to the subject, or refuses.

On SQLite and PostgreSQL (tests/api/conftest.py's client on the test's transaction)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.accounts.models import Account, AccountStatus
from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.audit.models import Event
from coalition.identity import services
from coalition.identity.models import ExternalIdentity
from coalition.identity.schemas import LinkIn, ProviderIn, ProviderPatch
from coalition.registry.models import Clearance, Person
from coalition.registry.people import create_person, update_person
from coalition.registry.schemas import PersonIn, PersonUpdate
from coalition.settings import Settings
from tests.api.conftest import login
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World
from tests.oidc_provider import (  # noqa: F401  (a fixture, used by name)
    ProviderFactory,
    RunningProvider,
    oidc_provider_factory,
    path_of,
    through_provider,
)

BASE = "http://127.0.0.1"
#: COALITION_PUBLIC_URL: the redirect URI is built from it, never from the request's Host
#: (the test client talks to http://127.0.0.1).
PUBLIC_URL = "https://coalition.gbr.example"
CALLBACK = f"{PUBLIC_URL}/login/sso/gbr/callback"
PROVIDER_ACCOUNTS = [
    # Bob is British (and Canadian) on record, linked: his provider vouches for his SC.
    {"sub": "gbr-0001", "preferred_username": "bob", "nationality": "GBR", "clearance": "SC"},
    # Alice is American: the British provider claiming her is refused, whatever it asserts.
    {"sub": "gbr-0002", "preferred_username": "alice", "nationality": "GBR", "clearance": "DV"},
    {"sub": "gbr-0003", "preferred_username": "nobody", "nationality": "GBR"},
    {"sub": "gbr-0004", "preferred_username": "carol", "clearance": "SC"},
    # Someone else named "bob" at the provider (renamed, or a provider admin's doing).
    {"sub": "gbr-0005", "preferred_username": "bob", "nationality": "GBR", "clearance": "DV"},
]


@dataclass(frozen=True)
class Sso:
    provider: RunningProvider
    world: World
    carol: uuid.UUID


def write_secret(settings: Settings, secret: str, name: str = "gbr.secret") -> Path:
    folder = settings.effective_sso_secrets_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def sso(
    uow: UowFactory,
    operator: Principal,
    world: World,
    settings: Settings,
    oidc_provider_factory: ProviderFactory,  # noqa: F811
) -> Sso:
    provider = oidc_provider_factory([CALLBACK], PROVIDER_ACCOUNTS)
    settings.public_url = PUBLIC_URL  # the app the client serves holds this same object
    carol = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Carol",
            family_name="Clark",
            email="carol@uksl.example",
            employer_id=world.gbr_lab,
            citizenships=["GBR"],
        ),
    )
    for username, person_id, lab in (
        ("bob", world.bob, world.gbr_lab),
        ("alice", world.alice, world.usa_lab),
        ("carol", carol.id, world.gbr_lab),
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
    write_secret(settings, provider.client_secret)
    services.create_provider(
        uow(),
        operator,
        ProviderIn(
            key="gbr",
            nation_code="GBR",
            display_name="UK MOD Identity",
            issuer=provider.issuer,
            client_id=provider.client_id,
            client_secret_file="gbr.secret",
            scopes=["openid", "profile", "coalition"],
            may_assert=["citizenship", "clearance"],
        ),
        settings,
    )
    # An administrator links the subjects of people they know: Bob's and Carol's.
    for subject, username in (("gbr-0001", "bob"), ("gbr-0004", "carol")):
        services.link_identity(uow(), operator, "gbr", LinkIn(subject=subject, account=username))
    return Sso(provider, world, carol.id)


def sign_in(client: TestClient, subject: str, next_path: str = "/") -> Any:
    """The whole dance; returns the node's answer to the provider's callback."""
    started = client.get("/login/sso/gbr", params={"next": next_path}, follow_redirects=False)
    assert started.status_code == 303, started.text
    back = through_provider(started.headers["location"], subject, CALLBACK)
    return client.get(path_of(back), follow_redirects=False)


class Recorded(NamedTuple):
    actor: str
    details: dict[str, Any]


def events(uow: UowFactory, tag: str) -> list[Recorded]:
    with uow() as unit:
        found = unit.session.scalars(select(Event).where(Event.tag == tag).order_by(Event.id))
        return [Recorded(e.actor, dict(e.details)) for e in found]


def test_the_log_in_page_offers_each_enabled_provider(client: TestClient, sso: Sso) -> None:
    page = client.get("/login", params={"next": "/projects"})
    assert "Sign in with UK MOD Identity" in page.text
    assert 'href="/login/sso/gbr?next=/projects"' in page.text


def test_a_national_signs_in_and_the_clearance_the_provider_vouches_for_is_recorded(
    client: TestClient, sso: Sso, uow: UowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = sign_in(client, "gbr-0001", "/projects")
    assert sso.provider.client_secret not in caplog.text
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/projects"
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "Log out" in dashboard.text
    assert "UK MOD Identity confirmed your GBR SC clearance." in dashboard.text
    with uow() as unit:
        link = unit.session.scalar(
            select(ExternalIdentity).where(ExternalIdentity.subject == "gbr-0001")
        )
        assert link is not None and link.account.username == "bob"
        assert link.last_login_at > link.first_login_at  # made by the administrator before
        clearance = unit.session.scalar(
            select(Clearance).where(Clearance.person_id == sso.world.bob)
        )
        assert clearance is not None
        assert (clearance.issuer, clearance.level_name, clearance.level) == ("GBR", "SC", 3)
        assert clearance.asserted_by == "gbr"
        assert clearance.history[0].actor == "idp:gbr"
    [login] = events(uow, "accounts:login:ok")
    assert login.actor == "bob" and login.details["via"] == "sso:gbr"
    [asserted] = events(uow, "identity:clearance:assert")
    assert asserted.details["applied"] == "created" and asserted.actor == "idp:gbr"


def test_a_second_sign_in_goes_by_the_link_and_carries_the_clearance_forward(
    client: TestClient, sso: Sso, uow: UowFactory
) -> None:
    assert sign_in(client, "gbr-0001").status_code == 303
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert sign_in(client, "gbr-0001").status_code == 303
    with uow() as unit:
        assert len(list(unit.session.scalars(select(ExternalIdentity)))) == 2  # as linked
        assert (
            len(
                list(
                    unit.session.scalars(
                        select(Clearance).where(Clearance.person_id == sso.world.bob)
                    )
                )
            )
            == 1
        )
    assert len(events(uow, "accounts:login:ok")) == 2


def test_another_nation_s_person_is_never_signed_in(
    client: TestClient, sso: Sso, uow: UowFactory
) -> None:
    answer = sign_in(client, "gbr-0002")
    assert answer.status_code == 401
    assert "Accounts are never created or linked at sign-in" in answer.text
    assert "Log out" not in client.get("/login").text
    with uow() as unit:
        assert len(list(unit.session.scalars(select(ExternalIdentity)))) == 2
        alice = unit.session.get(Person, sso.world.alice)
        assert alice is not None and [c.nation_code for c in alice.citizenships] == ["USA"]
        assert not list(
            unit.session.scalars(select(Clearance).where(Clearance.person_id == sso.world.alice))
        )
    [refused] = events(uow, "identity:sign_in:refuse")
    assert refused.details["reason"] == "not-linked"
    assert events(uow, "accounts:login:ok") == []


def test_a_username_claim_never_opens_the_account_bearing_that_name(
    client: TestClient, sso: Sso, uow: UowFactory
) -> None:
    """The account takeover the review found: another subject calling itself "bob"."""
    answer = sign_in(client, "gbr-0005")
    assert answer.status_code == 401
    assert "(subject gbr-0005) is not linked to an account on this node" in answer.text
    assert "ask your node administrator" in answer.text
    assert "Log out" not in client.get("/login").text
    [refused] = events(uow, "identity:sign_in:refuse")
    assert refused.details == {
        "reason": "not-linked",
        "source": "testclient",
        "subject": "gbr-0005",
        "claimed_name": "bob",
    }
    assert events(uow, "accounts:login:ok") == []
    assert events(uow, "identity:clearance:assert") == []


def test_a_person_without_an_account_is_refused_and_none_is_created(
    client: TestClient, sso: Sso, uow: UowFactory
) -> None:
    answer = sign_in(client, "gbr-0003")
    assert answer.status_code == 401
    assert "subject gbr-0003" in answer.text
    with uow() as unit:
        assert unit.session.scalar(select(Account).where(Account.username == "nobody")) is None
        assert len(list(unit.session.scalars(select(ExternalIdentity)))) == 2
    assert events(uow, "identity:sign_in:refuse")[0].details["reason"] == "not-linked"


def test_once_an_administrator_links_the_subject_it_signs_in(
    client: TestClient, sso: Sso, uow: UowFactory, operator: Principal
) -> None:
    assert sign_in(client, "gbr-0001").status_code == 303
    client.post("/logout", data={"csrf_token": _csrf(client)})
    services.unlink_identity(uow(), operator, "gbr", "gbr-0001")
    assert sign_in(client, "gbr-0001").status_code == 401
    with TestClient(client.app, base_url=BASE) as admin:
        headers = login(admin)
        made = admin.post(
            "/api/v1/identity-providers/gbr/links",
            json={"subject": "gbr-0001", "account": "bob"},
            headers=headers,
        )
        assert made.status_code == 201, made.text
    answer = sign_in(client, "gbr-0001")
    assert answer.status_code == 303, answer.text
    assert "Log out" in client.get("/").text


def test_the_redirect_uri_is_the_public_url_s_whatever_the_host_header_says(
    client: TestClient, sso: Sso
) -> None:
    started = client.get(
        "/login/sso/gbr",
        headers={"Host": "evil.example", "X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    query = dict(parse_qsl(urlsplit(started.headers["location"]).query))
    assert query["redirect_uri"] == CALLBACK


def test_a_callback_with_another_state_is_refused(
    client: TestClient, sso: Sso, uow: UowFactory
) -> None:
    started = client.get("/login/sso/gbr", follow_redirects=False)
    back = through_provider(started.headers["location"], "gbr-0001", CALLBACK)
    parts = urlsplit(back)
    query = dict(parse_qsl(parts.query))
    query["state"] = "forged-" + query["state"]
    answer = client.get(f"{parts.path}?{urlencode(query)}", follow_redirects=False)
    assert answer.status_code == 401
    assert "does not belong to the sign-in this browser started" in answer.text
    # Anyone may send such callbacks: they are logged, never written to the database.
    assert events(uow, "identity:sign_in:refuse") == []
    assert events(uow, "accounts:login:ok") == []


def test_a_replayed_callback_is_refused(client: TestClient, sso: Sso, uow: UowFactory) -> None:
    started = client.get("/login/sso/gbr", follow_redirects=False)
    back = path_of(through_provider(started.headers["location"], "gbr-0001", CALLBACK))
    assert client.get(back, follow_redirects=False).status_code == 303
    replayed = client.get(back, follow_redirects=False)
    assert replayed.status_code == 401
    # Replayed from another browser, with a sign-in of its own under way: the state differs.
    with TestClient(client.app, base_url=BASE) as other:
        other.get("/login/sso/gbr", follow_redirects=False)
        assert other.get(back, follow_redirects=False).status_code == 401
    assert events(uow, "identity:sign_in:refuse") == []
    assert len(events(uow, "accounts:login:ok")) == 1


def test_callbacks_without_a_sign_in_write_nothing_however_many(
    client: TestClient, sso: Sso, uow: UowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with uow() as unit:
        before = unit.session.scalar(select(func.count()).select_from(Event))
    caplog.set_level(logging.WARNING, logger="coalition.identity")
    for attempt in range(20):
        answer = client.get(
            "/login/sso/gbr/callback",
            params={"code": f"c{attempt}", "state": "s"},
            follow_redirects=False,
        )
        assert answer.status_code == 401
        assert "no sign-in was started from this browser" in answer.text
    with uow() as unit:
        assert unit.session.scalar(select(func.count()).select_from(Event)) == before
    assert caplog.text.count("refused: no-sign-in-started") == 20


def test_a_clearance_asserted_for_someone_no_longer_a_national_is_refused_but_they_sign_in(
    client: TestClient, sso: Sso, uow: UowFactory, operator: Principal
) -> None:
    assert sign_in(client, "gbr-0004").status_code == 303  # linked while British on record
    client.post("/logout", data={"csrf_token": _csrf(client)})
    update_person(uow(), operator, sso.carol, PersonUpdate(citizenships=["CAN"]))

    answer = sign_in(client, "gbr-0004")
    assert answer.status_code == 303, answer.text
    page = client.get("/")
    assert "Log out" in page.text
    assert "Not accepted from UK MOD Identity: clearance SC" in page.text
    [refused] = events(uow, "identity:clearance:refuse")
    assert refused.details["value"] == "SC"
    assert "not a national of GBR" in refused.details["reason"]


def test_a_suspended_account_is_refused(client: TestClient, sso: Sso, uow: UowFactory) -> None:
    with uow() as unit:
        bob = unit.session.scalar(select(Account).where(Account.username == "bob"))
        assert bob is not None
        bob.status = AccountStatus.SUSPENDED
        unit.commit()
    answer = sign_in(client, "gbr-0001")
    assert answer.status_code == 401 and "cannot sign in now" in answer.text


def test_a_disabled_provider_is_neither_offered_nor_usable(
    client: TestClient, sso: Sso, uow: UowFactory, operator: Principal, settings: Settings
) -> None:
    services.update_provider(uow(), operator, "gbr", ProviderPatch(enabled=False), settings)
    assert "Sign in with" not in client.get("/login").text
    assert client.get("/login/sso/gbr", follow_redirects=False).status_code == 404


def test_an_unreadable_secret_stops_the_sign_in_without_showing_it(
    client: TestClient, sso: Sso, uow: UowFactory, settings: Settings
) -> None:
    started = client.get("/login/sso/gbr", follow_redirects=False)
    back = through_provider(started.headers["location"], "gbr-0001", CALLBACK)
    (settings.effective_sso_secrets_dir / "gbr.secret").chmod(0o644)
    answer = client.get(path_of(back), follow_redirects=False)
    assert answer.status_code == 401
    assert "configuration on this node is incomplete" in answer.text
    assert sso.provider.client_secret not in answer.text
    assert events(uow, "identity:sign_in:refuse")[0].details["reason"] == "secret-unavailable"


def _csrf(client: TestClient) -> str:
    page = client.get("/account")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]
