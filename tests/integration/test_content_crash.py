"""Content versions survive `kill -9`: every acknowledged version has its row and its
sealed blob, which unseals to what was sent; no row points at a missing blob."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.content import services
from coalition.content.models import ContentVersion
from coalition.registry.people import create_person
from coalition.registry.reference import load_reference
from coalition.registry.schemas import NationIn, OrganisationIn, PersonIn
from coalition.registry.services import create_nation, create_organisation
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.uow import uow_factory
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact
from tests.conftest import REFERENCE_DIR

WRITER = textwrap.dedent(
    """
    import sys, uuid, random
    from coalition.accounts.permissions import Principal
    from coalition.content import services
    from coalition.settings import Settings
    from coalition.store.db import make_engine
    from coalition.store.uow import uow_factory

    url, folder, artifact, person = sys.argv[1:5]
    uow = uow_factory(make_engine(url))
    settings = services.content_settings(Settings(data_dir=folder))
    actor = Principal.operator("crash-test")
    for n in range(100000):
        body = random.Random(n).randbytes(300_000 + n)
        made = services.upload(
            uow, actor, uuid.UUID(artifact), f"run-{n}.bin", [body[:100_000], body[100_000:]],
            settings, for_person=uuid.UUID(person),
        )
        # Printed only after the version was recorded: this is the acknowledgement.
        print(made.number, made.sha256, flush=True)
    """
)


def test_acknowledged_versions_survive_kill_9(fresh_url: str, tmp_path: Path) -> None:
    operator = Principal.operator("t")
    engine = make_engine(fresh_url)
    uow = uow_factory(engine)
    load_reference(uow(), operator, REFERENCE_DIR)
    create_nation(uow(), operator, NationIn(code="USA", currency="USD", scheme_code="USA"))
    lab = create_organisation(
        uow(), operator, OrganisationIn(name="Lab", short_name="LAB", kind="lab", nation_code="USA")
    ).id
    alice = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Alice",
            family_name="Archer",
            email="alice@lab.example",
            employer_id=lab,
            citizenships=["USA"],
        ),
    ).id
    artifact = create_artifact(
        uow(),
        operator,
        ArtifactIn(
            reference="CRASH-1",
            title="Crash test data",
            kind="dataset",
            owner_organisation_id=lab,
            label=LabelIn(scheme="USA", originator="USA", classification="UNCLASSIFIED"),
        ),
    ).id
    folder = tmp_path / "node"
    acknowledged: dict[int, str] = {}
    for _ in range(5):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, fresh_url, str(folder), str(artifact), str(alice)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert writer.stdout is not None
        for _ in range(3):
            line = writer.stdout.readline()
            if not line:
                break
            written, sha = line.split()
            acknowledged[int(written)] = sha
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert len(acknowledged) >= 10, "the writers did not get going"

    settings = services.content_settings(Settings(data_dir=folder))
    with uow() as unit:
        recorded = dict(
            unit.session.execute(select(ContentVersion.number, ContentVersion.sha256)).all()
        )
    assert set(acknowledged) <= set(recorded)
    for number, sha in recorded.items():  # acknowledged or not: a row always has its content
        handed = services.hand_out(
            uow(), operator, artifact, settings, number=number, for_person=alice
        )
        digest = hashlib.sha256()
        for chunk in handed.chunks:
            digest.update(chunk)
        assert digest.hexdigest() == sha
        if number in acknowledged:
            assert acknowledged[number] == sha
    engine.dispose()
