"""Delivery between two nodes through the federation protocol, in one process: node A
(USAPL's) approves a release to UKSL, hosted on node B; the outbox sends the package in a
signed request; B imports it once and answers with a signed receipt that A checks and
records. Forged, replayed and tampered requests are refused with alerts."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange import tdf
from coalition.exchange.models import ImportedPackage, PartnerNode
from coalition.exchange.schemas import PartnerIn
from coalition.federation import outbox, signing
from coalition.federation.models import (
    AlertKind,
    Delivery,
    DeliveryStatus,
    FederationAlert,
    InboundDelivery,
)
from coalition.ledger import keys as ledger_keys
from coalition.releases import services as releases
from coalition.releases.schemas import DecisionIn, RequestIn
from coalition.web.app import create_app
from tests.integration.test_two_nodes import OPERATOR, Node, _node, _pem, releasable_item


def _log_key(node: Node) -> str:
    return ledger_keys.load_signer(
        node.settings.effective_ledger_key_file, node.settings.ledger_origin
    ).verifier.encoded()


@pytest.fixture
def nodes(tmp_path: Path) -> tuple[Node, Node]:
    a = _node(tmp_path / "a", "coalition.usapl.example/ledger")
    b = _node(tmp_path / "b", "coalition.uksl.example/ledger")
    for here, there, served in ((a, b, "UKSL"), (b, a, "USAPL")):
        exchange.register_partner(
            here.unit(),
            OPERATOR,
            PartnerIn(
                name=there.settings.effective_node_name,
                url=f"https://{there.settings.effective_node_name}",
                organisation_ids=[here.orgs[served]],
                wrapping_key=_pem(there.settings.effective_package_key_file),
                signing_key=_pem(there.settings.effective_package_signing_key_file),
                log_key=_log_key(there),
            ),
        )
    return a, b


class Network:
    """HTTP between nodes by host name, through each node's application in process; a
    hook may rewrite a response on its way back."""

    def __init__(self, apps: dict[str, TestClient]) -> None:
        self.apps = apps
        self.sent: list[httpx.Request] = []
        self.rewrite: Callable[[httpx.Response], httpx.Response] | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        client = self.apps.get(request.url.host)
        if client is None:
            raise httpx.ConnectError("connection refused", request=request)
        self.sent.append(request)
        answer = client.request(
            request.method,
            request.url.raw_path.decode(),
            content=request.content,
            headers=dict(request.headers),
        )
        response = httpx.Response(
            answer.status_code, content=answer.content, headers=answer.headers
        )
        return self.rewrite(response) if self.rewrite else response

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


@pytest.fixture
def network(nodes: tuple[Node, Node]) -> Iterator[Network]:
    with ExitStack() as stack:
        apps = {
            node.settings.effective_node_name: stack.enter_context(
                TestClient(create_app(node.settings, node.uow))  # type: ignore[arg-type]
            )
            for node in nodes
        }
        yield Network(apps)


def _approved_release(a: Node) -> uuid.UUID:
    releasable_item(a)
    return _release_again(a)


def _count(node: Node, model: type, *where: object) -> int:
    with node.unit() as unit:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)  # type: ignore[arg-type]
        return int(unit.session.scalar(query) or 0)


def _delivery(node: Node) -> Delivery:
    with node.unit() as unit:
        found: Delivery | None = unit.session.scalar(select(Delivery))
        assert found is not None
        unit.session.expunge(found)
        return found


def test_an_approved_release_is_delivered_once_with_a_receipt_in_both_ledgers(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, b = nodes
    request_id = _approved_release(a)
    assert _count(a, Delivery, Delivery.status == DeliveryStatus.QUEUED) == 1
    queued = releases.get_request(a.unit(), OPERATOR, request_id).deliveries
    assert [(d.item, d.recipient, d.status) for d in queued] == [("SONAR-7", "UKSL", "queued")]
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
        assert attempt.status is DeliveryStatus.DELIVERED, attempt.problem
        assert outbox.dispatch_due(a.uow, a.settings, client) == []  # type: ignore[arg-type]
    delivery = _delivery(a)
    assert delivery.receipt is not None and delivery.receipt["receiver"] == "coalition.uksl.example"
    assert _count(b, InboundDelivery) == 1 and _count(b, ImportedPackage) == 1
    assert _count(b, Event, Event.tag == "federation:delivery:receive") == 1
    assert _count(a, Event, Event.tag == "federation:delivery:receipt") == 1
    assert _count(a, Event, Event.tag == "releases:item:release") == 1
    shown = releases.get_request(a.unit(), OPERATOR, request_id).deliveries
    assert [d.status for d in shown] == ["delivered"] and shown[0].delivered_at is not None
    # The outbox keeps nothing once delivered.
    assert not list((a.settings.data_dir / "outbox").glob("*.tdf"))


def test_a_delivery_whose_answer_was_lost_is_imported_once_and_gets_the_same_receipt(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, b = nodes
    _approved_release(a)

    def lose(response: httpx.Response) -> httpx.Response:
        raise httpx.ReadTimeout("the answer was lost")

    network.rewrite = lose
    with network.client() as client:
        (first,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
        assert first.status is DeliveryStatus.PACKAGED and "lost" in (first.problem or "")
        assert _count(b, InboundDelivery) == 1  # B took it in; A does not know
        network.rewrite = None
        again = outbox.attempt(a.uow, a.settings, client, first.delivery_id)  # type: ignore[arg-type]
    assert again.status is DeliveryStatus.DELIVERED
    first_sent, second_sent = network.sent
    assert first_sent.content == second_sent.content  # the same package, from the outbox
    assert _count(b, InboundDelivery) == 1 and _count(b, ImportedPackage) == 1
    assert _count(b, Event, Event.tag == "federation:delivery:receive") == 1
    with b.unit() as unit:
        kept = unit.session.scalar(select(InboundDelivery.receipt))
    assert _delivery(a).receipt == kept


def test_a_replayed_request_is_refused_and_raises_an_alert(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, b = nodes
    _approved_release(a)
    with network.client() as client:
        outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    (sent,) = network.sent
    replay = network.apps["coalition.uksl.example"].request(
        sent.method, sent.url.raw_path.decode(), content=sent.content, headers=dict(sent.headers)
    )
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]
    assert replay.headers["content-type"].startswith("application/problem+json")
    assert _count(b, FederationAlert, FederationAlert.kind == AlertKind.REPLAY) == 1


def test_a_request_from_an_unknown_node_or_badly_signed_is_refused(
    nodes: tuple[Node, Node], network: Network
) -> None:
    _, b = nodes
    server = network.apps["coalition.uksl.example"]
    path = f"/federation/v1/deliveries/{uuid.uuid4()}"
    url = "https://coalition.uksl.example" + path
    stranger = Ed25519PrivateKey.generate()
    headers = signing.sign_request(stranger, "PUT", url, "coalition.uksl.example", b"x")
    answer = server.put(path, content=b"x", headers=headers)
    assert answer.status_code == 401
    assert _count(b, FederationAlert, FederationAlert.kind == AlertKind.UNKNOWN_NODE) == 1
    # Signed by A, but the body changed on the way.
    a_key = package_keys.load_signing(nodes[0].settings.effective_package_signing_key_file)
    headers = signing.sign_request(a_key, "PUT", url, "coalition.uksl.example", b"x")
    answer = server.put(path, content=b"y", headers=headers)
    assert answer.status_code == 401 and "Content-Digest" in answer.json()["detail"]
    # Signed by A for another node.
    headers = signing.sign_request(a_key, "PUT", url, "coalition.fra.example", b"x")
    assert server.put(path, content=b"x", headers=headers).status_code == 401
    with b.unit() as unit:
        alerts = {
            (a.partner_node_id is not None, a.source, a.detail.split(": ", 1)[-1])
            for a in unit.session.scalars(
                select(FederationAlert).where(FederationAlert.kind == AlertKind.BAD_SIGNATURE)
            )
        }
    # The body changed after A's headers verified: A's doing (or the network's).
    assert (True, None, "Content-Digest does not match the message body") in alerts
    # Signed for another node: not believed to be A; kept under the address it came from.
    assert (
        False,
        "testclient",
        "the request is meant for 'coalition.fra.example', not this node "
        "(claims to be coalition.usapl.example)",
    ) in alerts
    # The same again from that address is counted, not kept again.
    server.put(path, content=b"x", headers=headers)
    assert _count(b, FederationAlert, FederationAlert.kind == AlertKind.BAD_SIGNATURE) == 2
    assert server.get("/federation/v1/directory").status_code == 401


def test_a_tampered_package_is_refused_and_nothing_is_imported(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, b = nodes
    _approved_release(a)

    def tamper(request: httpx.Request) -> httpx.Request:
        archive = zipfile.ZipFile(io.BytesIO(request.content))
        payload = bytearray(archive.read(tdf.PAYLOAD))
        payload[-1] ^= 1
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as changed:
            changed.writestr(tdf.MANIFEST, archive.read(tdf.MANIFEST))
            changed.writestr(tdf.PAYLOAD, bytes(payload))
        key = package_keys.load_signing(a.settings.effective_package_signing_key_file)
        headers = signing.sign_request(
            key, "PUT", str(request.url), "coalition.uksl.example", out.getvalue()
        )
        return httpx.Request("PUT", request.url, content=out.getvalue(), headers=headers)

    handle = network.handle
    network.handle = lambda request: handle(tamper(request))  # type: ignore[method-assign]
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.REFUSED and "payload" in (attempt.problem or "")
    assert _count(b, InboundDelivery) == 0 and _count(b, ImportedPackage) == 0
    assert _count(b, FederationAlert, FederationAlert.kind == AlertKind.REFUSED_PACKAGE) == 1
    leftovers = [p for p in (b.settings.data_dir / "content").rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_receipt_that_does_not_match_is_not_recorded(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, _ = nodes
    _approved_release(a)

    def forge(response: httpx.Response) -> httpx.Response:
        receipt = response.json()
        receipt["package_sha256"] = "0" * 64
        return httpx.Response(response.status_code, json=receipt)

    network.rewrite = forge
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.PACKAGED
    assert "receipt" in (attempt.problem or "")
    delivery = _delivery(a)
    assert delivery.receipt is None and delivery.attempts == 1
    assert _count(a, FederationAlert, FederationAlert.kind == AlertKind.RECEIPT_MISMATCH) == 1
    assert _count(a, Event, Event.tag == "federation:delivery:receipt") == 0
    # Put right, the next attempt delivers (the same package; the release is not recorded
    # twice).
    network.rewrite = None
    with network.client() as client:
        attempt = outbox.attempt(a.uow, a.settings, client, delivery.id)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.DELIVERED
    assert _count(a, Event, Event.tag == "releases:item:release") == 1


def test_an_unreachable_partner_is_tried_again_later_then_given_up(
    nodes: tuple[Node, Node],
) -> None:
    a, _ = nodes
    _approved_release(a)
    a.settings.federation_max_attempts = 2
    nowhere = Network({})
    with nowhere.client() as client:
        (first,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
        assert first.status is DeliveryStatus.PACKAGED and "cannot reach" in (first.problem or "")
        # waiting: back-off
        assert outbox.dispatch_due(a.uow, a.settings, client) == []  # type: ignore[arg-type]
        delivery = _delivery(a)
        assert delivery.next_attempt_at > delivery.updated_at
        second = outbox.attempt(a.uow, a.settings, client, delivery.id)  # type: ignore[arg-type]
    assert second.status is DeliveryStatus.FAILED


def _admin(node: Node, username: str = "fedadmin", role: str = "node_admin") -> None:
    from coalition.accounts.schemas import AccountIn, GrantIn
    from coalition.accounts.services import create_account

    create_account(
        node.unit(),
        OPERATOR,
        AccountIn(
            username=username,
            display_name=username,
            password="federation-passphrase-42",
            grants=[GrantIn(role=role)],
        ),
    )


def _login(client: TestClient, username: str = "fedadmin") -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": "federation-passphrase-42"},
    )
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": answer.json()["csrf_token"]}


def test_operators_follow_deliveries_and_alerts_through_the_api_and_the_page(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, b = nodes
    _admin(a)
    _admin(a, "researcher", "researcher")
    _approved_release(a)
    with network.client() as client:
        outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    api = network.apps["coalition.usapl.example"]
    # A stranger knocks at A: an alert.
    stranger = Ed25519PrivateKey.generate()
    url = "https://coalition.usapl.example/federation/v1/directory"
    api.get(
        "/federation/v1/directory",
        headers=signing.sign_request(stranger, "GET", url, "coalition.usapl.example"),
    )
    csrf = _login(api)
    state = api.get("/api/v1/federation/state").json()
    (partner,) = state["partners"]
    assert partner["name"] == "coalition.uksl.example" and partner["deliveries"] == {"delivered": 1}
    assert state["open_alerts"] == 1 and state["fingerprint"]
    (delivery,) = api.get("/api/v1/federation/deliveries?status=delivered").json()
    assert delivery["artifact_reference"] == "SONAR-7" and delivery["receiver_ledger_index"] >= 0
    receipt = api.get(f"/api/v1/federation/deliveries/{delivery['id']}/receipt").json()
    assert receipt["delivery"] == delivery["id"] and "signature" in receipt
    # Re-pinning fetches the partner's identity: here it cannot be reached (no network).
    repin = api.post(
        f"/api/v1/federation/partners/{partner['id']}/repin",
        json={"fingerprint": "0" * 64},
        headers=csrf,
    )
    assert repin.status_code == 422 and repin.json()["errors"][0]["field"] == "url"
    short = api.post(
        f"/api/v1/federation/partners/{partner['id']}/repin",
        json={"fingerprint": "0"},
        headers=csrf,
    )
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "fingerprint"
    retried = api.post(f"/api/v1/federation/deliveries/{delivery['id']}/retry", headers=csrf)
    assert retried.status_code == 422 and "status" in retried.text
    (alert,) = api.get("/api/v1/federation/alerts?open=true").json()
    assert alert["kind"] == "unknown_node"
    page = api.get("/federation")
    assert page.status_code == 200
    assert "SONAR-7" in page.text and "unknown node" in page.text and "delivered" in page.text
    acknowledged = api.post(f"/api/v1/federation/alerts/{alert['id']}/acknowledge", headers=csrf)
    assert acknowledged.json()["acknowledged_by"] == "fedadmin"
    assert api.get("/api/v1/federation/alerts?open=true").json() == []
    again = api.post(f"/api/v1/federation/alerts/{alert['id']}/acknowledge", headers=csrf)
    assert again.status_code == 422
    # B's side: the delivery it took in.
    _admin(b)
    other = network.apps["coalition.uksl.example"]
    _login(other)
    (inbound,) = other.get("/api/v1/federation/inbound").json()
    assert inbound["partner"] == "coalition.usapl.example"
    # A researcher reads none of it.
    api.post("/api/v1/auth/logout", headers=csrf)
    _login(api, "researcher")
    assert api.get("/api/v1/federation/state").status_code == 403
    assert api.get("/api/v1/federation/deliveries").status_code == 403
    assert api.get("/federation").status_code == 403


def test_a_partner_is_pinned_from_its_identity_only_with_the_right_fingerprint(
    tmp_path: Path,
) -> None:
    from coalition.errors import ValidationFailed
    from coalition.federation import services
    from coalition.federation.identity import fingerprint
    from coalition.federation.schemas import PinIn

    a = _node(tmp_path / "a", "coalition.usapl.example/ledger")
    b = _node(tmp_path / "b", "coalition.uksl.example/ledger")
    with TestClient(create_app(b.settings, b.uow)) as server:  # type: ignore[arg-type]
        network = Network({"coalition.uksl.example": server})
        key = package_keys.load_signing(b.settings.effective_package_signing_key_file)
        right = fingerprint(key.public_key())
        wrong = right[:-4] + ("0000" if not right.endswith("0000") else "1111")
        with network.client() as client:
            with pytest.raises(ValidationFailed, match="fingerprint"):
                services.pin_partner(
                    a.unit(),
                    OPERATOR,
                    PinIn(
                        url="https://coalition.uksl.example",
                        fingerprint=wrong,
                        organisation_ids=[a.orgs["UKSL"]],
                    ),
                    client,
                )
            pinned = services.pin_partner(
                a.unit(),
                OPERATOR,
                PinIn(
                    url="https://coalition.uksl.example",
                    fingerprint=right.upper().replace(" ", ""),
                    organisation_ids=[a.orgs["UKSL"]],
                ),
                client,
            )
    assert pinned.name == "coalition.uksl.example"
    assert pinned.log_key == _log_key(b) and pinned.witness_key is None


def _release_again(
    a: Node, reference: str = "SONAR-7", recipients: tuple[str, ...] = ("UKSL",)
) -> uuid.UUID:
    """A release of ``reference`` (made already) to ``recipients``, submitted and approved."""
    alice = Principal(
        name="alice", account_id=None, active=True, person_id=a.people["Alice"], is_operator=True
    )
    request = releases.submit(
        a.unit(),
        alice,
        RequestIn(
            artifact_references=[reference],
            recipient_organisation_ids=[a.orgs[r] for r in recipients],
            purpose="government_purposes",
            justification="Trial 7 results for " + " and ".join(recipients),
        ),
        a.settings,
    )
    for approval in request.approvals:
        releases.decide_approval(
            a.unit(),
            Principal.operator("fdo.usa"),
            request.id,
            approval.key,
            DecisionIn(approve=True, reason="within the GSA"),
        )
    return request.id


def test_an_item_released_again_joins_the_artifact_imported_before(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.content.models import ContentVersion
    from coalition.techdata.models import Artifact

    a, b = nodes
    _approved_release(a)
    with network.client() as client:
        outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
        _release_again(a)
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.DELIVERED, attempt.problem
    assert _count(b, InboundDelivery) == 2
    assert _count(b, Artifact, Artifact.reference.startswith("SONAR-7")) == 1
    assert _count(b, ContentVersion) == 2 and _count(b, ImportedPackage) == 1


def test_a_reference_taken_on_the_receiving_node_gets_the_senders_name(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.techdata.models import Artifact
    from coalition.techdata.schemas import ArtifactIn, LabelIn
    from coalition.techdata.services import create_artifact

    a, b = nodes
    create_artifact(
        b.unit(),
        OPERATOR,
        ArtifactIn(
            reference="SONAR-7",
            title="UKSL's own sonar note",
            kind="report",
            owner_organisation_id=b.orgs["UKSL"],
            label=LabelIn(scheme="GBR", originator="GBR", banner="OFFICIAL"),
        ),
    )
    _approved_release(a)
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.DELIVERED, attempt.problem
    with b.unit() as unit:
        references = set(unit.session.scalars(select(Artifact.reference)))
    assert {"SONAR-7", "SONAR-7@usapl"} <= references


def test_a_receipt_citing_another_deliverys_entry_is_refused(
    nodes: tuple[Node, Node], network: Network
) -> None:
    """A receiving node that signs a receipt whose ledger proof is of an earlier import
    (not of this delivery) is caught: the entry's salted fields must be this delivery's."""
    a, b = nodes
    _approved_release(a)
    with network.client() as client:
        outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    first = _delivery(a).receipt
    assert first is not None
    b_key = package_keys.load_signing(b.settings.effective_package_signing_key_file)

    def cite_the_first(response: httpx.Response) -> httpx.Response:
        body = {k: v for k, v in response.json().items() if k != "signature"}
        body["ledger"] = first["ledger"]
        return httpx.Response(response.status_code, json=signing.sign_document(body, b_key))

    _release_again(a)
    network.rewrite = cite_the_first
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.PACKAGED
    assert "not the import of this delivery" in (attempt.problem or "")
    assert _count(a, FederationAlert, FederationAlert.kind == AlertKind.RECEIPT_MISMATCH) == 1


def test_a_package_sent_again_is_decided_again_and_must_be_the_recorded_version(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.content import services as content

    a, b = nodes
    _approved_release(a)
    nowhere = Network({})
    with nowhere.client() as client:
        (first,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert first.status is DeliveryStatus.PACKAGED  # built and recorded; B unreachable
    # A new version of the item, then the kept package is lost: what is built again would
    # not be the version the ledger says was released.
    alice = Principal(
        name="alice", account_id=None, active=True, person_id=a.people["Alice"], is_operator=True
    )
    delivery = _delivery(a)
    content.upload(
        a.uow,  # type: ignore[arg-type]
        alice,
        delivery.artifact_id,
        "trial-7-v2.txt",
        [b"detection range 13.1 km\n"],
        content.content_settings(a.settings),
    )
    (outbox.outbox_dir(a.settings) / f"{delivery.id}.tdf").unlink()
    with network.client() as client:
        attempt = outbox.attempt(a.uow, a.settings, client, delivery.id)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.REFUSED
    assert "has changed since its release was recorded" in (attempt.problem or "")
    assert _count(b, InboundDelivery) == 0
    assert _count(a, Event, Event.tag == "releases:item:release") == 1


def test_a_kept_package_is_not_sent_once_the_release_is_refused(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.techdata.schemas import LabelIn, RelabelIn
    from coalition.techdata.services import relabel_artifact

    a, b = nodes
    _approved_release(a)
    with Network({}).client() as client:
        outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    delivery = _delivery(a)
    relabel_artifact(
        a.unit(),
        OPERATOR,
        delivery.artifact_id,
        RelabelIn(
            label=LabelIn(scheme="USA", originator="USA", banner="SECRET//NOFORN"),
            reason="the trial turned out sensitive",
        ),
    )
    with network.client() as client:
        attempt = outbox.attempt(a.uow, a.settings, client, delivery.id)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.REFUSED and "refused now" in (attempt.problem or "")
    assert _count(b, InboundDelivery) == 0


def test_each_partner_gets_the_directory_it_may_see(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.expertise.schemas import ProfileIn
    from coalition.expertise.services import create_profile
    from coalition.federation import directory
    from coalition.federation.models import DirectoryEntry
    from coalition.registry.schemas import OrganisationUpdate
    from coalition.registry.services import update_organisation
    from coalition.techdata.schemas import LabelIn

    a, b = nodes
    update_organisation(
        b.unit(),
        OPERATOR,
        b.orgs["UKSL"],
        OrganisationUpdate(directory_listed=True),
    )
    for headline, banner in (
        ("Sonar arrays for allies", "OFFICIAL//REL TO GBR, USA"),
        ("Sonar arrays, British eyes", "OFFICIAL"),  # no REL TO: GBR only
        ("Classified sonar work", "SECRET//REL TO GBR, USA"),
    ):
        create_profile(
            b.unit(),
            OPERATOR,
            ProfileIn(
                organisation="UKSL",
                headline=headline,
                capabilities=["sensors.sonar"],
                keywords=[headline.split()[-1].lower()],
                label=LabelIn(scheme="GBR", originator="GBR", banner=banner),
            ),
        )
    with network.client() as client:
        outcome = directory.fetch(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert outcome == {"coalition.uksl.example": "kept 1 organisations"}
    with a.unit() as unit:
        (entry,) = unit.session.scalars(select(DirectoryEntry))
        assert entry.short_name == "UKSL" and entry.summary == "Sonar arrays for allies"
    found = directory.find(a.unit(), OPERATOR, capability="sensors")
    assert [e.short_name for e in found] == ["UKSL"]
    # A directory made for another node is refused, with an alert.
    b_key = package_keys.load_signing(b.settings.effective_package_signing_key_file)
    elsewhere = signing.sign_document(
        {
            "type": directory.DIRECTORY_TYPE,
            "node": "coalition.uksl.example",
            "for": "coalition.fra.example",
            "issued_at": "2099-01-01T00:00:00+00:00",
            "organisations": [],
        },
        b_key,
    )
    with a.unit() as unit:
        partner = unit.session.scalar(select(PartnerNode))
        assert partner is not None
        unit.session.expunge(partner)
    with pytest.raises(ValueError, match="another node"):
        directory.keep(a.uow, partner, elsewhere, a.settings.effective_node_name)  # type: ignore[arg-type]


def test_a_partner_that_rotated_its_keys_is_pinned_anew_by_fingerprint(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.errors import ValidationFailed
    from coalition.federation import services
    from coalition.federation.identity import fingerprint

    a, b = nodes
    # B rotates its node and package keys.
    b.settings.effective_package_key_file.unlink()
    b.settings.effective_package_signing_key_file.unlink()
    _, new_key = package_keys.keygen(
        b.settings.effective_package_key_file, b.settings.effective_package_signing_key_file
    )
    with a.unit() as unit:
        partner = unit.session.scalar(select(PartnerNode))
        assert partner is not None
        partner_id = partner.id
    with network.client() as client:
        with pytest.raises(ValidationFailed, match="fingerprint"):
            services.repin_partner(a.unit(), OPERATOR, partner_id, "0000 " * 16, client)
        repinned = services.repin_partner(
            a.unit(), OPERATOR, partner_id, fingerprint(new_key.public_key()), client
        )
        assert repinned.name == "coalition.uksl.example"
        # Deliveries go on, sealed for and checked with the new keys.
        _approved_release(a)
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.DELIVERED, attempt.problem
    assert _count(a, Event, Event.tag == "exchange:partner:repin") == 1


def test_an_item_released_to_two_organisations_of_one_partner_reaches_both(
    tmp_path: Path,
) -> None:
    from coalition.projects.models import Project
    from coalition.projects.schemas import ParticipantIn
    from coalition.projects.services import add_participant
    from coalition.registry.schemas import OrganisationIn
    from coalition.registry.services import create_organisation
    from coalition.techdata.models import Artifact

    a = _node(tmp_path / "a", "coalition.usapl.example/ledger")
    b = _node(tmp_path / "b", "coalition.uksl.example/ledger")
    for node in (a, b):
        node.orgs["UKDL"] = create_organisation(
            node.unit(),
            OPERATOR,
            OrganisationIn(name="Lab UKDL", short_name="UKDL", kind="lab", nation_code="GBR"),
        ).id
    for here, there, served in ((a, b, ["UKSL", "UKDL"]), (b, a, ["USAPL"])):
        exchange.register_partner(
            here.unit(),
            OPERATOR,
            PartnerIn(
                name=there.settings.effective_node_name,
                url=f"https://{there.settings.effective_node_name}",
                organisation_ids=[here.orgs[s] for s in served],
                wrapping_key=_pem(there.settings.effective_package_key_file),
                signing_key=_pem(there.settings.effective_package_signing_key_file),
                log_key=_log_key(there),
            ),
        )
    releasable_item(a)
    with a.unit() as unit:
        project = unit.session.scalar(select(Project.id).where(Project.code == "SONAR"))
    add_participant(
        a.unit(),
        OPERATOR,
        project,  # type: ignore[arg-type]
        ParticipantIn(
            organisation_id=a.orgs["UKDL"],
            role="partner",
            joined_on=date.today() - timedelta(days=100),
        ),
    )
    _release_again(a, recipients=("UKSL", "UKDL"))
    with (
        TestClient(create_app(b.settings, b.uow)) as server,  # type: ignore[arg-type]
        Network({"coalition.uksl.example": server}).client() as client,
    ):
        attempts = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert [x.status for x in attempts] == [DeliveryStatus.DELIVERED] * 2, attempts
    with b.unit() as unit:
        owners = set(
            unit.session.scalars(
                select(Artifact.owner_organisation_id).where(
                    Artifact.reference.startswith("SONAR-7")
                )
            )
        )
    assert owners == {b.orgs["UKSL"], b.orgs["UKDL"]}


def test_a_node_takes_deliveries_only_for_the_nations_it_hosts(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, b = nodes
    _approved_release(a)
    b.settings.node_nations = "USA"  # as if UKSL (GBR) were not this node's to host
    with network.client() as client:
        (refused,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert refused.status is DeliveryStatus.REFUSED
    assert "which this node does not host" in (refused.problem or "")
    assert _count(b, InboundDelivery) == 0
    b.settings.node_nations = "GBR"
    with network.client() as client:
        retry = _delivery(a)
        from coalition.federation import services

        services.retry_delivery(a.unit(), OPERATOR, retry.id)
        (delivered,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert delivered.status is DeliveryStatus.DELIVERED, delivered.problem


def _partner_id(node: Node) -> uuid.UUID:
    with node.unit() as unit:
        found: uuid.UUID | None = unit.session.scalar(select(PartnerNode.id))
        assert found is not None
        return found


def test_a_suspended_partner_is_sent_nothing_until_reinstated(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.errors import Conflict, ValidationFailed
    from coalition.federation import directory, services, witnessing
    from coalition.federation.models import DirectoryEntry
    from coalition.federation.schemas import SuspendIn

    a, b = nodes
    partner_id = _partner_id(a)
    with a.unit() as unit:
        unit.for_writing()
        unit.add(
            DirectoryEntry(
                partner_node_id=partner_id,
                short_name="UKSL",
                name="UK Sonar Lab",
                nation_code="GBR",
                kind="lab",
                capabilities=["sensors.sonar"],
                summary="Sonar",
            )
        )
        unit.commit()
    assert [e.short_name for e in directory.find(a.unit(), OPERATOR, text="sonar")] == ["UKSL"]
    first_request = _approved_release(a)  # queued before the suspension
    suspended = services.suspend_partner(
        a.unit(), OPERATOR, partner_id, SuspendIn(reason="  its node key may be compromised ")
    )
    assert suspended.suspended_by == OPERATOR.name
    assert suspended.suspension_reason == "its node key may be compromised"
    with pytest.raises(Conflict, match="suspended already"):
        services.suspend_partner(a.unit(), OPERATOR, partner_id, SuspendIn(reason="again"))
    with pytest.raises(ValidationFailed, match="say why"):
        services.suspend_partner(a.unit(), OPERATOR, partner_id, SuspendIn(reason="   "))
    # Approved while suspended: queued, held, and not sent; nor was the one queued before.
    request_id = _release_again(a)
    with a.unit() as unit:
        held = list(unit.session.scalars(select(Delivery).order_by(Delivery.created_at)))
        for delivery in held:
            unit.session.expunge(delivery)
    assert [d.status for d in held] == [DeliveryStatus.QUEUED] * 2
    assert {d.last_error for d in held} == {"held: trust in coalition.uksl.example is suspended"}
    with network.client() as client:
        assert outbox.dispatch_due(a.uow, a.settings, client) == []  # type: ignore[arg-type]
        # Even one claimed before the suspension is not sent.
        attempt = outbox.attempt(a.uow, a.settings, client, held[0].id)  # type: ignore[arg-type]
        assert attempt.status is DeliveryStatus.QUEUED and "held" in (attempt.problem or "")
        # Nor is its directory or checkpoint fetched, nor its log witnessed.
        assert directory.fetch(a.uow, a.settings, client) == {}  # type: ignore[arg-type]
        assert witnessing.watch(a.uow, a.settings, client) == {}  # type: ignore[arg-type]
    assert network.sent == []
    with a.unit() as unit:
        assert witnessing.partner_logs(unit.session) == {}
    # Its directory is not shown; nothing is packaged for it by hand.
    assert directory.find(a.unit(), OPERATOR, text="sonar") == []
    with pytest.raises(ValidationFailed, match="suspended its trust"):
        releases.packages(a.uow, OPERATOR, request_id, a.orgs["UKSL"], a.settings, None)  # type: ignore[arg-type]
    shown = releases.get_request(a.unit(), OPERATOR, first_request).deliveries
    assert [d.status for d in shown] == ["queued"]
    state = services.node_state(a.unit(), OPERATOR, a.settings)
    assert state.partners[0].suspension_reason == "its node key may be compromised"
    # Everyone may list partners, but only operators read who suspended one and why.
    (listed,) = exchange.list_partners(a.unit(), OPERATOR)
    assert listed.suspended and "suspension_reason" not in listed.model_dump()
    # Reinstated: what was held goes at once.
    services.reinstate_partner(a.unit(), OPERATOR, partner_id)
    with pytest.raises(Conflict, match="not suspended"):
        services.reinstate_partner(a.unit(), OPERATOR, partner_id)
    assert _delivery_errors(a) == [None, None]
    with network.client() as client:
        delivered = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert [d.status for d in delivered] == [DeliveryStatus.DELIVERED] * 2
    assert _count(b, InboundDelivery) == 2
    assert [e.short_name for e in directory.find(a.unit(), OPERATOR, text="sonar")] == ["UKSL"]
    with a.unit() as unit:
        assert list(witnessing.partner_logs(unit.session)) == ["coalition.uksl.example/ledger"]
        events = [
            (e.tag, dict(e.details))
            for e in unit.session.scalars(
                select(Event).where(Event.tag.like("exchange:partner:%")).order_by(Event.id)
            )
        ]
    (suspend, suspend_details), (reinstate, reinstate_details) = events[-2:]
    assert (suspend, reinstate) == ("exchange:partner:suspend", "exchange:partner:reinstate")
    assert suspend_details["reason"] == "its node key may be compromised"
    assert suspend_details["deliveries_held"] == 1
    assert reinstate_details["deliveries_due"] == 2


def _delivery_errors(node: Node) -> list[str | None]:
    with node.unit() as unit:
        return list(unit.session.scalars(select(Delivery.last_error).order_by(Delivery.created_at)))


def test_a_suspension_during_a_delivery_holds_it_on_both_sides(
    nodes: tuple[Node, Node], network: Network
) -> None:
    """A suspension that commits while a delivery is on its way: the sender does not
    record the receipt (it holds the delivery), and a receiver whose suspension came after
    it authenticated the request takes nothing in."""
    from coalition.federation import receiving, services
    from coalition.federation.schemas import SuspendIn

    a, b = nodes
    _approved_release(a)

    def suspend_meanwhile(response: httpx.Response) -> httpx.Response:
        services.suspend_partner(a.unit(), OPERATOR, _partner_id(a), SuspendIn(reason="now"))
        return response

    network.rewrite = suspend_meanwhile
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    network.rewrite = None
    assert attempt.status is DeliveryStatus.PACKAGED and "held" in (attempt.problem or "")
    assert _delivery(a).receipt is None and _count(b, InboundDelivery) == 1
    assert _count(a, Event, Event.tag == "federation:delivery:receipt") == 0
    services.reinstate_partner(a.unit(), OPERATOR, _partner_id(a))
    with network.client() as client:
        (again,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert again.status is DeliveryStatus.DELIVERED and _count(b, InboundDelivery) == 1

    # The receiving side: authenticated, then suspended, then the body is taken in.
    _release_again(a)
    with a.unit() as unit:
        second = unit.session.scalar(
            select(Delivery).where(Delivery.status == DeliveryStatus.QUEUED)
        )
        assert second is not None
        unit.session.expunge(second)
    data = outbox._package(a.uow, a.settings, second)  # type: ignore[arg-type]
    url = outbox.delivery_url(PartnerNode(url="https://coalition.uksl.example"), second.id)
    a_key = package_keys.load_signing(a.settings.effective_package_signing_key_file)
    headers = signing.sign_request(
        a_key, "PUT", url, "coalition.uksl.example", data, {"content-type": outbox.PACKAGE_TYPE}
    )
    caller = receiving.authenticate(b.uow, b.settings, "PUT", url, headers, data)  # type: ignore[arg-type]
    services.suspend_partner(b.unit(), OPERATOR, _partner_id(b), SuspendIn(reason="now"))
    with pytest.raises(receiving.Suspended):
        receiving.receive_delivery(b.uow, b.settings, caller, second.id, data)  # type: ignore[arg-type]
    assert _count(b, InboundDelivery) == 1 and _count(b, ImportedPackage) == 1


def test_a_suspended_partners_checkpoint_is_not_cosigned(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.federation import services
    from coalition.federation.schemas import SuspendIn

    a, _ = nodes
    ledger_keys.keygen(a.settings.effective_witness_key_file, a.settings.witness_name)
    services.suspend_partner(a.unit(), OPERATOR, _partner_id(a), SuspendIn(reason="lapsed"))
    note = "old 0\n\ncoalition.uksl.example/ledger\n1\nAAAA\n\n\u2014 x y\n".encode()
    answer = network.apps["coalition.usapl.example"].post("/witness/add-checkpoint", content=note)
    assert answer.status_code == 403 and "suspended" in answer.text
    assert _count(a, FederationAlert, FederationAlert.kind == AlertKind.SUSPENDED_NODE) == 1


def test_a_node_takes_nothing_a_suspended_partner_signs(
    nodes: tuple[Node, Node], network: Network
) -> None:
    from coalition.errors import ValidationFailed
    from coalition.federation import services
    from coalition.federation.schemas import SuspendIn

    a, b = nodes
    services.suspend_partner(
        b.unit(), OPERATOR, _partner_id(b), SuspendIn(reason="the arrangement lapsed")
    )
    request_id = _approved_release(a)
    with network.client() as client:
        (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
    assert attempt.status is DeliveryStatus.REFUSED
    assert "suspended its trust in coalition.usapl.example" in (attempt.problem or "")
    assert _count(b, InboundDelivery) == 0
    with b.unit() as unit:
        (alert,) = unit.session.execute(
            select(FederationAlert.kind, FederationAlert.partner_node_id)
        ).all()
    assert tuple(alert) == (AlertKind.SUSPENDED_NODE, _partner_id(b))
    # Its directory requests and packages brought by hand are refused too.
    url = "https://coalition.uksl.example/federation/v1/directory"
    a_key = package_keys.load_signing(a.settings.effective_package_signing_key_file)
    asked = network.apps["coalition.uksl.example"].get(
        "/federation/v1/directory",
        headers=signing.sign_request(a_key, "GET", url, "coalition.uksl.example"),
    )
    assert asked.status_code == 403 and "suspended" in asked.json()["detail"]
    (made,) = releases.packages(a.uow, OPERATOR, request_id, a.orgs["UKSL"], a.settings, None)  # type: ignore[arg-type]
    data = made.data
    with pytest.raises(ValidationFailed, match="whose trust this node has suspended"):
        exchange.import_package(b.unit(), OPERATOR, data, b.settings, for_person=b.people["Bob"])
    assert _count(b, ImportedPackage) == 0
    # Reinstated, a retried delivery goes through.
    services.reinstate_partner(b.unit(), OPERATOR, _partner_id(b))
    services.retry_delivery(a.unit(), OPERATOR, attempt.delivery_id)
    with network.client() as client:
        again = outbox.attempt(a.uow, a.settings, client, attempt.delivery_id)  # type: ignore[arg-type]
    assert again.status is DeliveryStatus.DELIVERED, again.problem


def test_operators_suspend_and_reinstate_a_partner_through_the_api_and_the_page(
    nodes: tuple[Node, Node], network: Network
) -> None:
    a, _ = nodes
    _admin(a)
    _admin(a, "researcher", "researcher")
    api = network.apps["coalition.usapl.example"]
    csrf = _login(api)
    partner_id = _partner_id(a)
    base = f"/api/v1/federation/partners/{partner_id}"
    blank = api.post(f"{base}/suspend", json={"reason": ""}, headers=csrf)
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    unknown = api.post(
        f"/api/v1/federation/partners/{uuid.uuid4()}/suspend", json={"reason": "x"}, headers=csrf
    )
    assert unknown.status_code == 404
    done = api.post(f"{base}/suspend", json={"reason": "key compromised"}, headers=csrf)
    assert done.status_code == 200 and done.json()["suspended_by"] == "fedadmin"
    assert api.post(f"{base}/suspend", json={"reason": "again"}, headers=csrf).status_code == 409
    (partner,) = api.get("/api/v1/federation/state").json()["partners"]
    assert partner["suspension_reason"] == "key compromised"
    page = api.get("/federation")
    assert "suspended" in page.text and "key compromised" in page.text
    assert f"/federation/partners/{partner_id}/reinstate" in page.text
    reinstated = api.post(f"{base}/reinstate", headers=csrf)
    assert reinstated.status_code == 200 and reinstated.json()["suspended_at"] is None
    assert api.post(f"{base}/reinstate", headers=csrf).status_code == 409
    # The page's forms: suspending with a reason, then reinstating.
    token = csrf["X-CSRF-Token"]
    shown = api.post(
        f"/federation/partners/{partner_id}/suspend",
        data={"reason": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert shown.status_code == 422 and "reason" in shown.text
    moved = api.post(
        f"/federation/partners/{partner_id}/suspend",
        data={"reason": "arrangement lapsed", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert "arrangement lapsed" in api.get("/federation").text
    back = api.post(
        f"/federation/partners/{partner_id}/reinstate",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert ">trusted<" in api.get("/federation").text
    # A researcher may do neither.
    api.post("/api/v1/auth/logout", headers=csrf)
    other = _login(api, "researcher")
    refused = api.post(f"{base}/suspend", json={"reason": "no"}, headers=other)
    assert refused.status_code == 403
