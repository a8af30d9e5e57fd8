"""What the live-update stream tells each reader, without HTTP: the snapshot of their
counts and the events a change produces. Nothing a reader may not see is counted, and no
event says more than which kind of thing arrived."""

# The technical-data and release tests' fixtures are imported and used by name.
# ruff: noqa: F811

from __future__ import annotations

import json
import uuid

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from coalition.accounts.models import Account
from coalition.accounts.permissions import Principal
from coalition.common.access import principal_for_account
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange.models import ImportedPackage, PartnerNode
from coalition.exchange.schemas import PartnerIn
from coalition.notifications.services import mark_read, notify
from coalition.policy.facts import Action
from coalition.releases import services as releases
from coalition.releases.schemas import RequestIn, WithdrawIn
from coalition.settings import Settings
from coalition.techdata import services as techdata
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.web.live import Counts, events_between, snapshot
from tests.api.conftest import world  # noqa: F401 - fixture used by name
from tests.api.test_releases_api import releasable  # noqa: F401 - fixture used by name
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    Sonar,
    cheap_password_hashes,
    people,
    sonar,
)
from tests.conftest import UowFactory


def reader(uow: UowFactory, username: str) -> Principal:
    with uow() as unit:
        account_id = unit.session.scalar(select(Account.id).where(Account.username == username))
        assert account_id is not None, username
        found = principal_for_account(unit.session, account_id)
    assert found is not None
    return found


PARTNER = "coalition.partner.example"


def arrived(uow: UowFactory, operator: Principal, sonar: Sonar, banner: str) -> uuid.UUID:
    """An artifact of SONAR with ``banner``, taken in as an imported package (its row as
    import_package leaves it; building a signed package is the exchange tests' business)."""
    reference = f"SONAR-IN-{uuid.uuid4().hex[:6]}"
    artifact = techdata.create_artifact(
        uow(),
        operator,
        ArtifactIn(
            reference=reference,
            title=f"Partner trial {reference}",
            kind="report",
            project_id=sonar.project,
            owner_organisation_id=sonar.people.world.usa_lab,
            label=LabelIn(scheme="USA", originator="USA", banner=banner),
        ),
    )
    with uow() as unit:
        partner_id = unit.session.scalar(select(PartnerNode.id).where(PartnerNode.name == PARTNER))
    if partner_id is None:
        partner_id = exchange.register_partner(
            uow(),
            operator,
            PartnerIn(
                name=PARTNER,
                url=f"https://{PARTNER}",
                organisation_ids=[sonar.people.world.usa_lab],
                wrapping_key=package_keys.public_pem(
                    rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
                ),
                signing_key=package_keys.public_pem(Ed25519PrivateKey.generate().public_key()),
            ),
        ).id
    with uow() as unit:
        unit.add(
            ImportedPackage(
                artifact_id=artifact.id,
                partner_node_id=partner_id,
                provenance={"item": reference},
                receipt_checked=False,
                sender_ledger_index=None,
                package_sha256="0" * 64,
                imported_by="operator:tester",
            )
        )
        unit.commit()
    return artifact.id


# --- counts per reader --------------------------------------------------------------------


def test_unread_notifications_are_counted_for_their_own_reader_only(
    uow: UowFactory, sonar: Sonar, settings: Settings
) -> None:
    world = sonar.people.world
    with uow() as unit:
        notify(unit, settings, [world.alice], kind="test", title="Trial results", link=None)
        notify(unit, settings, [world.alice], kind="test", title="Trial plan", link=None)
        unit.commit()
    alice = reader(uow, "alice")
    assert snapshot(uow, alice).inbox == 2
    assert snapshot(uow, reader(uow, "bob")).inbox == 0
    mark_read(uow(), alice)
    assert snapshot(uow, alice).inbox == 0


def test_a_secret_package_is_not_counted_for_a_reader_without_clearance(
    uow: UowFactory, operator: Principal, sonar: Sonar
) -> None:
    world = sonar.people.world
    secret = arrived(uow, operator, sonar, "SECRET//REL TO USA, FVEY")
    arrived(uow, operator, sonar, "UNCLASSIFIED//REL TO USA, FVEY")
    # Bob (GBR and CAN, no clearance) knows the SECRET one exists but may not read it.
    with uow() as unit:
        artifact = unit.session.get(Artifact, secret)
        assert artifact is not None
        knows = techdata.decide_for(unit, world.bob, artifact, Action.VIEW_METADATA)
        reads = techdata.decide_for(unit, world.bob, artifact, Action.READ)
    assert knows.permit and not reads.permit
    assert [rule.id for rule in reads.failed] == ["clearance"]

    assert snapshot(uow, reader(uow, "alice")).packages == 2  # cleared USA SECRET
    assert snapshot(uow, reader(uow, "bob")).packages == 1


def test_approvals_are_counted_only_for_those_who_may_decide_them(
    uow: UowFactory, releasable: Sonar, settings: Settings
) -> None:
    world = releasable.people.world
    request = releases.submit(
        uow(),
        reader(uow, "alice"),
        RequestIn(
            artifact_references=["SONAR-REL"],
            recipient_organisation_ids=[world.gbr_lab],
            purpose="carrying_out_the_project",
            justification="Sonar trials with UKSL",
        ),
        settings,
    )
    assert [a.key for a in request.approvals] == ["classified:USA"]
    officer = reader(uow, "officer")  # security officer on the node: may decide
    assert snapshot(uow, officer).approvals == 1
    assert snapshot(uow, reader(uow, "exporter")).approvals == 0  # export only
    assert snapshot(uow, reader(uow, "alice")).approvals == 0  # her own request
    assert snapshot(uow, reader(uow, "bob")).approvals == 0
    # The count is the releases inbox, counted.
    assert len(releases.list_requests(uow(), officer, inbox=True)) == 1

    releases.withdraw(uow(), reader(uow, "alice"), request.id, WithdrawIn(reason="moot"))
    assert snapshot(uow, officer).approvals == 0  # nothing waits on a closed request


def test_an_account_without_a_person_gets_zeros_for_what_does_not_apply(
    uow: UowFactory, operator: Principal, sonar: Sonar
) -> None:
    arrived(uow, operator, sonar, "UNCLASSIFIED//REL TO USA, FVEY")
    # The officer's account has no person: no inbox, no package to read.
    assert snapshot(uow, reader(uow, "officer")) == Counts(inbox=0, approvals=0, packages=0)
    assert snapshot(uow, reader(uow, "reader")) == Counts()


# --- what a change sends ------------------------------------------------------------------


def told(before: Counts | None, after: Counts) -> list[tuple[str | None, object]]:
    return [(e.event, json.loads(str(e.data))) for e in events_between(before, after)]


def test_a_new_stream_is_told_its_counts_at_once() -> None:
    assert told(None, Counts(1, 0, 2)) == [("counts", {"inbox": 1, "approvals": 0, "packages": 2})]
    assert told(None, Counts()) == [("counts", {"inbox": 0, "approvals": 0, "packages": 0})]


def test_nothing_is_sent_while_nothing_changes() -> None:
    assert told(Counts(1, 2, 3), Counts(1, 2, 3)) == []


def test_a_rise_names_its_kind_and_nothing_else() -> None:
    assert told(Counts(0, 1, 0), Counts(1, 1, 2)) == [
        ("counts", {"inbox": 1, "approvals": 1, "packages": 2}),
        ("arrived", {"kind": "inbox"}),
        ("arrived", {"kind": "packages"}),
    ]


def test_a_fall_updates_the_counts_without_announcing_anything() -> None:
    assert told(Counts(3, 1, 0), Counts(0, 0, 0)) == [
        ("counts", {"inbox": 0, "approvals": 0, "packages": 0})
    ]


def test_the_counts_travel_as_the_event_id_for_a_reconnecting_browser() -> None:
    (event,) = events_between(None, Counts(4, 0, 12))
    assert event.id == "4.0.12"
    assert Counts.from_event_id(event.id) == Counts(4, 0, 12)
    for foreign in (None, "", "1.2", "a.b.c", "1.2.3.4", "-1.0.0", "1" * 10 + ".0.0"):
        assert Counts.from_event_id(foreign) is None
