"""National nodes for federation tests and benchmarks: each a `coalition serve` process of
its own, with its own database, keys and HTTPS certificate (from a CA made for the run),
registered with the others as partners, on loopback.

The nations, laboratories and people are the same on every node (each node's registry
knows its partners' organisations, as a real one would); the data each node holds, its
keys and its ledger are its own.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from coalition.accounts.permissions import Principal
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange.schemas import PartnerIn
from coalition.ledger import keys as ledger_keys
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
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory
from tests.conftest import REFERENCE_DIR

OPERATOR = Principal.operator("federation-test")
TODAY = date.today()
#: (nation, currency, laboratory, person, clearance)
NATIONS = (
    ("USA", "USD", "USAPL", "Alice", "SECRET"),
    ("GBR", "GBP", "UKSL", "Bob", "SC"),
    ("FRA", "EUR", "FRDL", "Claire", "HABILITATION SECRET"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Authority:
    """A CA made for the run, and server certificates for 127.0.0.1 signed by it."""

    folder: Path
    key: ec.EllipticCurvePrivateKey = field(init=False)
    certificate: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Coalition test CA")])
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def path(self) -> Path:
        return self.folder / "ca.pem"

    def context(self) -> ssl.SSLContext:
        """TLS that trusts this CA only."""
        return ssl.create_default_context(cafile=str(self.path))

    def issue(self, folder: Path, name: str) -> tuple[Path, Path]:
        """A certificate for 127.0.0.1 (and ``name``); returns (chain, key) files."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName(name)]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        chain, private = folder / "tls.pem", folder / "tls.key"
        chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private.chmod(0o600)
        return chain, private


@dataclass
class NodeProcess:
    """One national node: its settings, its database, and its server process."""

    nation: str
    folder: Path
    settings: Settings
    env: dict[str, str]
    engine: Engine
    orgs: dict[str, uuid.UUID]
    people: dict[str, uuid.UUID]
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return self.settings.effective_node_name

    @property
    def url(self) -> str:
        return self.settings.public_url

    def unit(self) -> UnitOfWork:
        return uow_factory(self.engine)()

    def uow(self) -> UnitOfWork:
        return self.unit()

    def start(self, ca: Path, timeout: float = 60.0) -> None:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115  (kept by the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(verify=ssl.create_default_context(cafile=str(ca))) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
                try:
                    if client.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")

    def kill(self) -> None:
        """``kill -9``: no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        path = self.folder / "server.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def make_node(
    root: Path, nation: str, authority: Authority, database_url: str | None = None, **extra: Any
) -> NodeProcess:
    """A node for ``nation``: database migrated, reference data and the common registry
    loaded, keys made; not started."""
    code = nation.lower()
    folder = root / code
    folder.mkdir(parents=True)
    port = free_port()
    chain, private = authority.issue(folder, f"coalition.{code}.example")
    values: dict[str, Any] = {
        "data_dir": folder,
        "host": "127.0.0.1",
        "port": port,
        "public_url": f"https://127.0.0.1:{port}",
        "node_name": f"coalition.{code}.example",
        "node_nations": nation,
        "ledger_origin": f"coalition.{code}.example/ledger",
        "witness_name": f"coalition.{code}.example/witness",
        "tls_cert_file": chain,
        "tls_key_file": private,
        "federation_ca_file": authority.path,
        "federation_interval_seconds": 0.3,
        "federation_backoff_seconds": 0.5,
        "ledger_checkpoint_interval_seconds": 1,
        "ledger_integrate_interval_ms": 100,
        "log_level": "INFO",
        **extra,
    }
    if database_url:
        values["database_url"] = database_url
    settings = Settings(**values)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COALITION_")},
        **{f"COALITION_{k.upper()}": str(v) for k, v in values.items()},
        "PYTHONUNBUFFERED": "1",
    }
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    uow = uow_factory(engine)
    load_reference(uow(), OPERATOR, REFERENCE_DIR)
    for each, currency, *_ in NATIONS:
        create_nation(uow(), OPERATOR, NationIn(code=each, currency=currency, scheme_code=each))
    create_security_agreement(
        uow(),
        OPERATOR,
        SecurityAgreementIn(
            reference="GSA-US-UK",
            title="US-UK GSA",
            parties=["USA", "GBR"],
            max_level=4,
            in_force_from=TODAY - timedelta(days=3000),
        ),
    )
    orgs: dict[str, uuid.UUID] = {}
    people: dict[str, uuid.UUID] = {}
    for each, _, lab, person, level in NATIONS:
        orgs[lab] = create_organisation(
            uow(),
            OPERATOR,
            OrganisationIn(
                name=f"{lab} laboratory",
                short_name=lab,
                kind="lab",
                nation_code=each,
                directory_listed=each == nation,
            ),
        ).id
        people[person] = create_person(
            uow(),
            OPERATOR,
            PersonIn(
                given_name=person,
                family_name="Test",
                email=f"{person.lower()}@{lab.lower()}.example",
                employer_id=orgs[lab],
                citizenships=[each],
            ),
        ).id
        add_clearance(
            uow(),
            OPERATOR,
            people[person],
            ClearanceIn(
                issuer=each,
                level_name=level,
                valid_from=TODAY - timedelta(days=10),
                valid_until=TODAY + timedelta(days=1000),
            ),
        )
    ledger_keys.keygen(settings.effective_ledger_key_file, settings.ledger_origin)
    ledger_keys.keygen(settings.effective_witness_key_file, settings.witness_name)
    package_keys.keygen(
        settings.effective_package_key_file, settings.effective_package_signing_key_file
    )
    return NodeProcess(nation, folder, settings, env, engine, orgs, people)


def public(node: NodeProcess) -> dict[str, str]:
    """What a node's operators hand to partners: its public keys."""
    settings = node.settings
    return {
        "wrapping": package_keys.public_pem(
            package_keys.load_wrapping(settings.effective_package_key_file).public_key()
        ),
        "signing": package_keys.public_pem(
            package_keys.load_signing(settings.effective_package_signing_key_file).public_key()
        ),
        "log": ledger_keys.load_signer(
            settings.effective_ledger_key_file, settings.ledger_origin
        ).verifier.encoded(),
        "witness": ledger_keys.load_signer(
            settings.effective_witness_key_file, settings.witness_name
        ).verifier.encoded(),
    }


def federate(nodes: list[NodeProcess]) -> None:
    """Every node registers every other, pinning all its keys, with the laboratory it
    hosts (its nation's)."""
    lab_of = {nation: lab for nation, _, lab, *_ in NATIONS}
    for here in nodes:
        for there in nodes:
            if there is here:
                continue
            keys = public(there)
            exchange.register_partner(
                here.unit(),
                OPERATOR,
                PartnerIn(
                    name=there.name,
                    url=there.url,
                    organisation_ids=[here.orgs[lab_of[there.nation]]],
                    wrapping_key=keys["wrapping"],
                    signing_key=keys["signing"],
                    log_key=keys["log"],
                    witness_key=keys["witness"],
                ),
            )


def shared_project(node: NodeProcess) -> uuid.UUID:
    """On the USA node: the sonar project under a US-UK MoU (made once)."""
    from sqlalchemy import select

    from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
    from coalition.agreements.services import change_status, create_agreement
    from coalition.projects.models import Project
    from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
    from coalition.projects.services import add_member, add_participant, create_project

    with node.unit() as unit:
        found = unit.session.scalar(select(Project.id).where(Project.code == "SONAR"))
    if found is not None:
        return found
    agreement = create_agreement(
        node.unit(),
        OPERATOR,
        AgreementIn(
            reference="MOU-SONAR",
            title="Sonar MoU",
            kind="mou",
            effective_from=TODAY - timedelta(days=700),
            classification_ceiling=3,
            parties=[
                PartyIn(organisation_id=node.orgs["USAPL"]),
                PartyIn(organisation_id=node.orgs["UKSL"]),
            ],
        ),
    )
    change_status(
        node.unit(), OPERATOR, agreement.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    project = create_project(
        node.unit(),
        OPERATOR,
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=agreement.id,
            start_on=TODAY - timedelta(days=600),
            lead_organisation_id=node.orgs["USAPL"],
            classification_ceiling=3,
        ),
    ).id
    add_participant(
        node.unit(),
        OPERATOR,
        project,
        ParticipantIn(
            organisation_id=node.orgs["UKSL"], role="partner", joined_on=TODAY - timedelta(days=500)
        ),
    )
    add_member(
        node.unit(),
        OPERATOR,
        project,
        MemberIn(
            person_id=node.people["Alice"], role="researcher", joined_on=TODAY - timedelta(days=400)
        ),
    )
    return project


def approved_release(
    node: NodeProcess, reference: str, content_bytes: bytes = b"detection range 12.4 km\n"
) -> uuid.UUID:
    """On the USA node: a SECRET report of USAPL released to UKSL, approved; the approval
    queues its delivery to UKSL's node."""
    from coalition.content import services as content
    from coalition.releases import services as releases
    from coalition.releases.schemas import DecisionIn, RequestIn
    from coalition.techdata.schemas import ArtifactIn, LabelIn
    from coalition.techdata.services import create_artifact

    project = shared_project(node)
    alice = Principal(
        name="alice", account_id=None, active=True, person_id=node.people["Alice"], is_operator=True
    )
    artifact = create_artifact(
        node.unit(),
        OPERATOR,
        ArtifactIn(
            reference=reference,
            title=f"Sonar trial {reference}",
            kind="report",
            project_id=project,
            owner_organisation_id=node.orgs["USAPL"],
            label=LabelIn(scheme="USA", originator="USA", banner="SECRET//REL TO USA, GBR"),
        ),
    ).id
    content.upload(
        node.uow,
        alice,
        artifact,
        f"{reference}.bin",
        [content_bytes],
        content.content_settings(node.settings),
    )
    request = releases.submit(
        node.unit(),
        alice,
        RequestIn(
            artifact_references=[reference],
            recipient_organisation_ids=[node.orgs["UKSL"]],
            purpose="government_purposes",
            justification="Trial results for UKSL",
        ),
        node.settings,
    )
    for approval in request.approvals:
        releases.decide_approval(
            node.unit(),
            Principal.operator("fdo.usa"),
            request.id,
            approval.key,
            DecisionIn(approve=True, reason="within the GSA"),
        )
    return request.id
