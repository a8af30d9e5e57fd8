"""A release between two nodes, each with a database of its own: node A (USA) releases a
SECRET item to UKSL; node B (UKSL's node) imports the package: the originator's label is
kept, the classification is shown in GBR's scheme, the content is sealed again at rest,
where it came from is recorded, and a tampered or foreign package is refused leaving
nothing."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.content import services as content
from coalition.content.models import ContentVersion
from coalition.errors import PermissionDenied, ValidationFailed
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange import tdf
from coalition.exchange.models import ImportedPackage
from coalition.exchange.schemas import PartnerIn
from coalition.exportcontrol.schemas import AuthorisationIn
from coalition.exportcontrol.services import create_authorisation
from coalition.ledger import keys as ledger_keys
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
from coalition.projects.services import add_member, add_participant, create_project
from coalition.registry.people import add_clearance, create_person
from coalition.registry.reference import load_reference
from coalition.registry.schemas import (
    ClearanceIn,
    NationIn,
    OrganisationIn,
    PersonIn,
    SecurityAgreementIn,
)
from coalition.registry.services import (
    create_nation,
    create_organisation,
    create_security_agreement,
)
from coalition.releases import services as releases
from coalition.releases.schemas import DecisionIn, RequestIn
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact
from coalition.web.app import create_app
from tests.conftest import REFERENCE_DIR

OPERATOR = Principal.operator("t")
PASSWORD = "two-nodes-passphrase-42"
TODAY = date.today()


@dataclass
class Node:
    settings: Settings
    uow: object
    orgs: dict[str, uuid.UUID]
    people: dict[str, uuid.UUID]

    def unit(self) -> UnitOfWork:
        return self.uow()  # type: ignore[operator, no-any-return]


def _node(folder: Path, origin: str) -> Node:
    folder.mkdir()
    settings = Settings(data_dir=folder, host="127.0.0.1", ledger_origin=origin)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    uow = uow_factory(engine)
    load_reference(uow(), OPERATOR, REFERENCE_DIR)
    for code, currency in (("USA", "USD"), ("GBR", "GBP")):
        create_nation(uow(), OPERATOR, NationIn(code=code, currency=currency, scheme_code=code))
    create_security_agreement(
        uow(),
        OPERATOR,
        SecurityAgreementIn(
            reference="GSA",
            title="US-UK GSA",
            parties=["USA", "GBR"],
            max_level=4,
            in_force_from=TODAY - timedelta(days=3000),
        ),
    )
    orgs = {
        short: create_organisation(
            uow(),
            OPERATOR,
            OrganisationIn(name=f"Lab {short}", short_name=short, kind="lab", nation_code=nation),
        ).id
        for short, nation in (("USAPL", "USA"), ("UKSL", "GBR"))
    }
    people = {}
    for given, org, nation, level in (
        ("Alice", "USAPL", "USA", "SECRET"),
        ("Bob", "UKSL", "GBR", "SC"),
    ):
        people[given] = create_person(
            uow(),
            OPERATOR,
            PersonIn(
                given_name=given,
                family_name="Test",
                email=f"{given.lower()}@{org.lower()}.example",
                employer_id=orgs[org],
                citizenships=[nation],
            ),
        ).id
        add_clearance(
            uow(),
            OPERATOR,
            people[given],
            ClearanceIn(
                issuer=nation,
                level_name=level,
                valid_from=TODAY - timedelta(days=10),
                valid_until=TODAY + timedelta(days=1000),
            ),
        )
    ledger_keys.keygen(settings.effective_ledger_key_file, origin)
    package_keys.keygen(
        settings.effective_package_key_file, settings.effective_package_signing_key_file
    )
    return Node(settings, uow, orgs, people)


def _pem(path: Path) -> str:
    key = package_keys.load_wrapping(path) if "signing" not in path.name else None
    if key is not None:
        return package_keys.public_pem(key.public_key())
    return package_keys.public_pem(package_keys.load_signing(path).public_key())


@pytest.fixture
def nodes(tmp_path: Path) -> tuple[Node, Node]:
    a = _node(tmp_path / "a", "coalition.usapl.example/ledger")
    b = _node(tmp_path / "b", "coalition.uksl.example/ledger")
    # Each registers the other: A sends UKSL's items to B; B checks A's signatures and log.
    exchange.register_partner(
        a.unit(),
        OPERATOR,
        PartnerIn(
            name="coalition.uksl.example",
            url="https://coalition.uksl.example",
            organisation_ids=[a.orgs["UKSL"]],
            wrapping_key=_pem(b.settings.effective_package_key_file),
            signing_key=_pem(b.settings.effective_package_signing_key_file),
        ),
    )
    log_key = ledger_keys.load_signer(
        a.settings.effective_ledger_key_file, a.settings.ledger_origin
    ).verifier.encoded()
    exchange.register_partner(
        b.unit(),
        OPERATOR,
        PartnerIn(
            name="coalition.usapl.example",
            url="https://coalition.usapl.example",
            organisation_ids=[b.orgs["USAPL"]],
            wrapping_key=_pem(a.settings.effective_package_key_file),
            signing_key=_pem(a.settings.effective_package_signing_key_file),
            log_key=log_key,
        ),
    )
    return a, b


def _released_package(a: Node, provisos: str | None = None) -> bytes:
    """On node A: an artifact of USAPL with content, released to UKSL and packaged."""
    artifact, alice = releasable_item(a, provisos)
    request = releases.submit(
        a.unit(),
        alice,
        RequestIn(
            artifact_references=["SONAR-7"],
            recipient_organisation_ids=[a.orgs["UKSL"]],
            purpose="government_purposes",
            justification="Trial 7 results for UKSL",
        ),
        a.settings,
    )
    for key in [a.key for a in request.approvals]:
        releases.decide_approval(
            a.unit(),
            Principal.operator("fdo.usa"),
            request.id,
            key,
            DecisionIn(approve=True, reason="within the GSA and the licence"),
        )
    made = releases.package(a.uow, alice, request.id, artifact, a.orgs["UKSL"], a.settings)  # type: ignore[arg-type]
    return made.data


def releasable_item(a: Node, provisos: str | None = None) -> tuple[object, Principal]:
    """On node A: SONAR-7, a SECRET report of USAPL in a project shared with UKSL, with
    its content uploaded by Alice (who is returned, as a principal acting for her)."""
    alice = Principal(
        name="alice", account_id=None, active=True, person_id=a.people["Alice"], is_operator=True
    )
    agreement = create_agreement(
        a.unit(),
        OPERATOR,
        AgreementIn(
            reference="MOU-SONAR",
            title="Sonar MoU",
            kind="mou",
            effective_from=TODAY - timedelta(days=700),
            classification_ceiling=3,
            parties=[
                PartyIn(organisation_id=a.orgs["USAPL"]),
                PartyIn(organisation_id=a.orgs["UKSL"]),
            ],
        ),
    )
    change_status(
        a.unit(), OPERATOR, agreement.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    project = create_project(
        a.unit(),
        OPERATOR,
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=agreement.id,
            start_on=TODAY - timedelta(days=600),
            lead_organisation_id=a.orgs["USAPL"],
            classification_ceiling=3,
        ),
    ).id
    add_participant(
        a.unit(),
        OPERATOR,
        project,
        ParticipantIn(
            organisation_id=a.orgs["UKSL"], role="partner", joined_on=TODAY - timedelta(days=500)
        ),
    )
    add_member(
        a.unit(),
        OPERATOR,
        project,
        MemberIn(
            person_id=a.people["Alice"], role="researcher", joined_on=TODAY - timedelta(days=400)
        ),
    )
    artifact = create_artifact(
        a.unit(),
        OPERATOR,
        ArtifactIn(
            reference="SONAR-7",
            title="Sonar trial 7",
            kind="report",
            project_id=project,
            owner_organisation_id=a.orgs["USAPL"],
            label=LabelIn(
                scheme="USA",
                originator="USA",
                banner="SECRET//REL TO USA, GBR",
                export=(
                    [{"regime": "ITAR", "category": "USML XI(d)", "exporting_nation": "USA"}]
                    if provisos
                    else []
                ),
            ),
        ),
    ).id
    if provisos:
        create_authorisation(
            a.unit(),
            OPERATOR,
            AuthorisationIn(
                reference="DSP-5 9",
                kind="dsp_5",
                issuing_nation="USA",
                regime="ITAR",
                categories=["USML XI(d)"],
                recipient_nations=["GBR"],
                provisos=provisos,
                valid_from=TODAY - timedelta(days=5),
                valid_until=TODAY + timedelta(days=300),
            ),
        )
    settings = content.content_settings(a.settings)
    content.upload(a.uow, alice, artifact, "trial-7.txt", [b"detection range 12.4 km\n"], settings)  # type: ignore[arg-type]
    return artifact, alice


def _count(node: Node, model: type) -> int:
    with node.unit() as unit:
        return int(unit.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_package_released_by_one_node_is_imported_by_the_other(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    data = _released_package(a)
    imported = exchange.import_package(
        b.unit(), OPERATOR, data, b.settings, for_person=b.people["Bob"]
    )
    assert imported.banner == "SECRET//REL TO USA, GBR"  # the originator's label, kept
    assert imported.local_classification == "SECRET"  # in GBR's scheme
    assert imported.receipt_checked and imported.partner == "coalition.usapl.example"
    assert imported.provenance["request"].startswith("REL-")
    bob = Principal(name="bob", account_id=None, active=True, person_id=b.people["Bob"])
    handout = content.hand_out(
        b.unit(), bob, imported.artifact_id, content.content_settings(b.settings)
    )
    assert b"".join(handout.chunks) == b"detection range 12.4 km\n"
    with b.unit() as unit:
        owner = unit.session.scalar(
            select(Artifact.owner_organisation_id).where(Artifact.id == imported.artifact_id)
        )
    assert owner == b.orgs["UKSL"]
    # The same package twice: the reference exists; nothing more is kept.
    with pytest.raises(Exception, match="already exists"):
        exchange.import_package(b.unit(), OPERATOR, data, b.settings, for_person=b.people["Bob"])
    assert _count(b, ImportedPackage) == 1 and _count(b, ContentVersion) == 1


def test_a_tampered_a_foreign_or_an_unreadable_package_leaves_nothing(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    data = _released_package(a)
    archive = zipfile.ZipFile(io.BytesIO(data))
    payload = bytearray(archive.read(tdf.PAYLOAD))
    payload[-1] ^= 1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as tampered:
        tampered.writestr(tdf.MANIFEST, archive.read(tdf.MANIFEST))
        tampered.writestr(tdf.PAYLOAD, bytes(payload))
    with pytest.raises(ValidationFailed, match="payload: segment 0"):
        exchange.import_package(
            b.unit(), OPERATOR, out.getvalue(), b.settings, for_person=b.people["Bob"]
        )
    # Node A cannot open what was sealed for node B.
    with pytest.raises(ValidationFailed, match="signed by no registered partner"):
        exchange.import_package(a.unit(), OPERATOR, data, a.settings, for_person=a.people["Alice"])
    # Alice has an account on node B too, but works for USAPL: UKSL's import is not hers.
    with pytest.raises((PermissionDenied, ValidationFailed)):
        exchange.import_package(b.unit(), OPERATOR, data, b.settings, for_person=b.people["Alice"])
    assert _count(b, ImportedPackage) == 0 and _count(b, ContentVersion) == 0
    leftovers = [p for p in (b.settings.data_dir / "content").rglob("*") if p.is_file()]
    assert leftovers == []


def test_the_recipient_imports_through_the_api_and_the_import_page(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    data = _released_package(a)
    create_account(
        b.unit(),
        OPERATOR,
        AccountIn(
            username="bob",
            display_name="Bob",
            password=PASSWORD,
            person_id=b.people["Bob"],
            grants=[GrantIn(role=Role.RESEARCHER)],
        ),
    )
    with TestClient(create_app(b.settings, b.uow), base_url="http://127.0.0.1") as client:  # type: ignore[arg-type]
        logged = client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
        token = logged.json()["csrf_token"]
        page = client.post(
            "/packages/import",
            data={"csrf_token": token},
            files={"package": ("release.tdf", b"not a package", "application/zip")},
        )
        assert page.status_code == 422 and "Not imported" in page.text
        answer = client.post(
            "/api/v1/packages/import", content=data, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["local_classification"] == "SECRET"
        shown = client.get(f"/artifacts/{answer.json()['artifact_id']}")
        assert "SECRET//REL TO USA, GBR" in shown.text and "trial-7.txt" in shown.text


def test_a_release_under_provisos_is_imported_only_once_they_are_acknowledged(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    data = _released_package(a, provisos="No retransfer beyond UKSL without written consent.")
    # The receiving side records the licence too: its own rules decide Bob's reading.
    create_authorisation(
        b.unit(),
        OPERATOR,
        AuthorisationIn(
            reference="DSP-5 9",
            kind="dsp_5",
            issuing_nation="USA",
            regime="ITAR",
            categories=["USML XI(d)"],
            recipient_nations=["GBR"],
            valid_from=TODAY - timedelta(days=5),
            valid_until=TODAY + timedelta(days=300),
        ),
    )
    with pytest.raises(ValidationFailed, match="provisos the recipient must acknowledge"):
        exchange.import_package(b.unit(), OPERATOR, data, b.settings, for_person=b.people["Bob"])
    assert _count(b, ImportedPackage) == 0
    imported = exchange.import_package(
        b.unit(),
        OPERATOR,
        data,
        b.settings,
        for_person=b.people["Bob"],
        acknowledge_provisos=True,
    )
    assert "No retransfer" in imported.provenance["provisos"]
