"""Benchmark of issue 5: packaging an approved release of many artifacts.

On a SQLite node with its ledger and package keys, ``--items`` (default 1,000) seeded
artifacts, each with a small text version (``--size`` bytes), go in one release request
to one partner organisation. The items are unclassified and uncontrolled, so the request
is approved at once. What is timed is the bundle: every item decided again, the releases
recorded in one transaction, one checkpoint signed over them, a receipt per entry, and a
sealed, signed ``.tdf`` per item, zipped. Then one package of the bundle is opened and
verified, as the recipient would.

Usage: ``python benchmarks/release.py [--items 1000] [--size 4096] [--repeats 3] [--json F]``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coalition.accounts.permissions import Principal
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.content import services as content
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange import tdf
from coalition.exchange.schemas import PartnerIn
from coalition.ledger import keys as ledger_keys
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
from coalition.projects.services import add_member, add_participant, create_project
from coalition.registry.people import create_person
from coalition.registry.reference import load_reference
from coalition.registry.schemas import NationIn, OrganisationIn, PersonIn
from coalition.registry.services import create_nation, create_organisation
from coalition.releases import services as releases
from coalition.releases.schemas import RequestIn
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact

OPERATOR = Principal.operator("benchmark")
REFERENCE = Path(__file__).resolve().parents[1] / "src" / "coalition" / "reference"


def _node(folder: Path, items: int, size: int) -> dict[str, Any]:
    today = date.today()
    settings = Settings(data_dir=folder, host="127.0.0.1")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    uow = uow_factory(engine)
    load_reference(uow(), OPERATOR, REFERENCE)
    for code, currency in (("USA", "USD"), ("GBR", "GBP")):
        create_nation(uow(), OPERATOR, NationIn(code=code, currency=currency, scheme_code=code))
    orgs = {
        short: create_organisation(
            uow(),
            OPERATOR,
            OrganisationIn(name=f"Lab {short}", short_name=short, kind="lab", nation_code=n),
        ).id
        for short, n in (("USAPL", "USA"), ("UKSL", "GBR"))
    }
    person = create_person(
        uow(),
        OPERATOR,
        PersonIn(
            given_name="Alice",
            family_name="Bench",
            email="alice@usapl.example",
            employer_id=orgs["USAPL"],
            citizenships=["USA"],
        ),
    ).id
    agreement = create_agreement(
        uow(),
        OPERATOR,
        AgreementIn(
            reference="MOU",
            title="MoU",
            kind="mou",
            effective_from=today - timedelta(days=700),
            classification_ceiling=3,
            parties=[PartyIn(organisation_id=o) for o in orgs.values()],
        ),
    )
    change_status(
        uow(), OPERATOR, agreement.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    project = create_project(
        uow(),
        OPERATOR,
        ProjectIn(
            code="BENCH",
            title="Bench",
            agreement_id=agreement.id,
            start_on=today - timedelta(days=600),
            lead_organisation_id=orgs["USAPL"],
            classification_ceiling=3,
        ),
    ).id
    add_participant(
        uow(),
        OPERATOR,
        project,
        ParticipantIn(organisation_id=orgs["UKSL"], role="partner", joined_on=today),
    )
    add_member(
        uow(),
        OPERATOR,
        project,
        MemberIn(person_id=person, role="researcher", joined_on=today - timedelta(days=1)),
    )
    alice = Principal(
        name="alice", account_id=None, active=True, person_id=person, is_operator=True
    )
    store = content.content_settings(settings)
    rng = random.Random(1)
    references = []
    for n in range(items):
        reference = f"BENCH-{n:05d}"
        artifact = create_artifact(
            uow(),
            OPERATOR,
            ArtifactIn(
                reference=reference,
                title=f"Bench item {n}",
                kind="dataset",
                project_id=project,
                owner_organisation_id=orgs["USAPL"],
                label=LabelIn(
                    scheme="USA", originator="USA", banner="UNCLASSIFIED//REL TO USA, GBR"
                ),
            ),
        ).id
        body = "".join(rng.choice("abcdefgh \n") for _ in range(size)).encode()
        content.upload(uow, alice, artifact, f"{reference}.txt", [body], store)
        references.append(reference)
    ledger_keys.keygen(settings.effective_ledger_key_file, settings.ledger_origin)
    _, signing = package_keys.keygen(
        settings.effective_package_key_file, settings.effective_package_signing_key_file
    )
    partner = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    exchange.register_partner(
        uow(),
        OPERATOR,
        PartnerIn(
            name="partner.example",
            url="https://partner.example",
            organisation_ids=[orgs["UKSL"]],
            wrapping_key=package_keys.public_pem(partner.public_key()),
            signing_key=package_keys.public_pem(Ed25519PrivateKey.generate().public_key()),
        ),
    )
    return {
        "settings": settings,
        "uow": uow,
        "alice": alice,
        "references": references,
        "recipient": orgs["UKSL"],
        "partner": partner,
        "signing": signing,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="release packaging (issue 5)")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        started = time.perf_counter()
        node = _node(Path(name), args.items, args.size)
        setup = time.perf_counter() - started
        timings = []
        sizes = []
        for _ in range(args.repeats):
            request = releases.submit(
                node["uow"](),
                node["alice"],
                RequestIn(
                    artifact_references=node["references"],
                    recipient_organisation_ids=[node["recipient"]],
                    purpose="carrying_out_the_project",
                    justification="benchmark",
                ),
                node["settings"],
            )
            started = time.perf_counter()
            made = releases.bundle(
                node["uow"], node["alice"], request.id, node["recipient"], node["settings"]
            )
            timings.append(time.perf_counter() - started)
            sizes.append(len(made.data))
        with zipfile.ZipFile(io.BytesIO(made.data)) as archive:
            names = archive.namelist()
            first = archive.read(names[0])
        started = time.perf_counter()
        opened, _ = tdf.open_package(first, node["signing"].public_key(), node["partner"])
        open_ms = (time.perf_counter() - started) * 1000
        assert len(names) == args.items and opened.receipt is not None
    out = {
        "items": args.items,
        "bytes per item": args.size,
        "setup s (not timed)": round(setup, 1),
        "bundle s": {
            "median": round(statistics.median(timings), 2),
            "min": round(min(timings), 2),
            "max": round(max(timings), 2),
        },
        "items per second (median)": round(args.items / statistics.median(timings)),
        "bundle MB": round(statistics.median(sizes) / 1e6, 1),
        "open and verify one package ms": round(open_ms, 1),
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
