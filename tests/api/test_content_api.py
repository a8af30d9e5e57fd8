"""Artifact content over the API: versions sealed at rest, handed out only after the
engine's permit (recorded either way), with their marking; bad uploads leave nothing."""

# The technical-data tests' fixtures are imported and used by name as parameters.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.content import services as content_services
from coalition.content.models import ContentVersion
from coalition.settings import Settings
from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    PROBLEM,
    Sonar,
    cheap_password_hashes,
    people,
    sonar,
)
from tests.conftest import UowFactory

TEXT = b"Sonar trial 4 results: detection range 12.4 km.\n" * 100


def _upload(
    client: TestClient,
    headers: dict[str, str],
    artifact: object,
    body: bytes,
    filename: str,
    content_type: str = "application/octet-stream",
) -> dict[str, object]:
    answer = client.post(
        f"/api/v1/artifacts/{artifact}/versions",
        params={"filename": filename},
        content=body,
        headers={**headers, "Content-Type": content_type},
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, object] = answer.json()
    return created


def _decisions(uow: UowFactory, tag: str) -> list[tuple[str, str]]:
    with uow() as unit:
        rows = unit.session.execute(
            select(Event.actor, Event.details).where(Event.tag == tag).order_by(Event.id)
        ).all()
    return [(actor, details["outcome"]) for actor, details in rows]


def test_a_text_version_is_sealed_at_rest_and_handed_out_with_its_banner(
    client: TestClient, sonar: Sonar, settings: Settings, uow: UowFactory
) -> None:
    artifact = sonar.artifacts["REL"]
    headers = login(client, "alice")
    first = _upload(client, headers, artifact, TEXT, "results.txt")
    assert first["number"] == 1 and first["size"] == len(TEXT)
    assert first["sha256"] == hashlib.sha256(TEXT).hexdigest()
    assert first["content_type"] == "text/plain"
    second = _upload(client, headers, artifact, TEXT + b"Revised.\n", "results.txt")
    assert second["number"] == 2

    # At rest: nothing of the text, in any file under the data directory.
    for path in Path(settings.data_dir).rglob("*"):
        if path.is_file():
            assert b"detection range" not in path.read_bytes(), path

    answer = client.get(f"/api/v1/artifacts/{artifact}/content", params={"version": 1})
    assert answer.status_code == 200, answer.text
    lines = answer.content.split(b"\n")
    assert lines[0] == lines[-2] == b"SECRET//REL TO USA, GBR"
    assert TEXT in answer.content
    assert answer.headers["x-coalition-original-sha256"] == first["sha256"]
    assert "attachment" in answer.headers["content-disposition"]
    latest = client.get(f"/api/v1/artifacts/{artifact}/content")
    assert b"Revised." in latest.content
    versions = client.get(f"/api/v1/artifacts/{artifact}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert _decisions(uow, "techdata:decision:download") == [("alice", "permit")] * 2


def test_a_person_who_may_see_but_not_download_is_refused_with_the_rules_and_it_is_recorded(
    client: TestClient, sonar: Sonar, uow: UowFactory
) -> None:
    artifact = sonar.artifacts["NATO"]
    _upload(client, login(client, "alice"), artifact, TEXT, "results.txt")
    login(client, "bob")  # on the project, releasable to him, but no clearance
    assert client.get(f"/api/v1/artifacts/{artifact}").status_code == 200
    refused = client.get(f"/api/v1/artifacts/{artifact}/content")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert "clearance" in refused.json()["detail"]
    inline = client.get(f"/api/v1/artifacts/{artifact}/content", params={"disposition": "inline"})
    assert inline.status_code == 403
    assert _decisions(uow, "techdata:decision:download") == [("bob", "deny")]
    assert _decisions(uow, "techdata:decision:read")[-1] == ("bob", "deny")
    # Bob may not add content to what he may not read.
    assert (
        client.post(
            f"/api/v1/artifacts/{artifact}/versions",
            params={"filename": "x.txt"},
            content=b"x",
            headers=login(client, "bob"),
        ).status_code
        == 403
    )


def test_content_of_an_artifact_one_may_not_know_of_is_not_found(
    client: TestClient, sonar: Sonar
) -> None:
    artifact = sonar.artifacts["NOFORN"]
    _upload(client, login(client, "alice"), artifact, TEXT, "results.txt")
    headers = login(client, "bob")
    assert client.get(f"/api/v1/artifacts/{artifact}/content").status_code == 404
    assert client.get(f"/api/v1/artifacts/{artifact}/versions").status_code == 404
    upload = client.post(
        f"/api/v1/artifacts/{artifact}/versions",
        params={"filename": "x.txt"},
        content=b"x",
        headers=headers,
    )
    assert upload.status_code == 404


def test_a_pdf_gets_the_banner_on_every_page_and_other_formats_a_sidecar_label(
    client: TestClient, sonar: Sonar
) -> None:
    artifact = sonar.artifacts["REL"]
    headers = login(client, "alice")
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)
    made = _upload(client, headers, artifact, pdf.getvalue(), "trial.pdf")
    assert made["content_type"] == "application/pdf"
    marked = PdfReader(io.BytesIO(client.get(f"/api/v1/artifacts/{artifact}/content").content))
    assert len(marked.pages) == 3
    for page in marked.pages:
        assert page.extract_text().count("SECRET//REL TO USA, GBR") == 2

    binary = bytes(range(256)) * 64
    _upload(client, headers, artifact, binary, "signature.bin")
    answer = client.get(f"/api/v1/artifacts/{artifact}/content")
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.namelist() == ["signature.bin.label.xml", "signature.bin"]
    assert archive.read("signature.bin") == binary
    assert b"SECRET" in archive.read("signature.bin.label.xml")


def test_an_oversized_upload_is_413_and_leaves_nothing(
    client: TestClient, sonar: Sonar, settings: Settings, uow: UowFactory
) -> None:
    client.app.state.content = client.app.state.content.__class__(  # type: ignore[attr-defined]
        blobs=client.app.state.content.blobs,  # type: ignore[attr-defined]
        node_key=client.app.state.content.node_key,  # type: ignore[attr-defined]
        max_bytes=1000,
    )
    artifact = sonar.artifacts["REL"]
    headers = login(client, "alice")

    def body() -> object:  # no length given: the limit is met while streaming
        yield b"x" * 600
        yield b"x" * 600

    answer = client.post(
        f"/api/v1/artifacts/{artifact}/versions",
        params={"filename": "big.txt"},
        content=body(),  # type: ignore[arg-type]
        headers=headers,
    )
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == PROBLEM
    bad_name = client.post(
        f"/api/v1/artifacts/{artifact}/versions",
        params={"filename": "a\x01b"},
        content=b"x",
        headers=headers,
    )
    assert bad_name.status_code == 422 and "filename" in bad_name.text
    with uow() as unit:
        assert unit.session.scalars(select(ContentVersion)).all() == []
    content = Path(settings.data_dir) / "content"
    assert not content.exists() or not [p for p in content.rglob("*") if p.is_file()]


def test_the_upload_form_streams_its_file_and_refuses_a_forged_one_keeping_nothing(
    client: TestClient, sonar: Sonar, settings: Settings, uow: UowFactory
) -> None:
    artifact = sonar.artifacts["REL"]
    headers = login(client, "alice")
    token = headers["X-CSRF-Token"]
    forged = client.post(
        f"/artifacts/{artifact}/versions",
        data={"csrf_token": "forged", "comment": "x"},
        files={"file": ("notes.txt", TEXT, "text/plain")},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    no_file = client.post(
        f"/artifacts/{artifact}/versions", data={"csrf_token": token}, follow_redirects=False
    )
    assert no_file.status_code in (400, 422)
    with uow() as unit:
        assert unit.session.scalars(select(ContentVersion)).all() == []
    content = Path(settings.data_dir) / "content"
    assert not content.exists() or not [p for p in content.rglob("*") if p.is_file()]

    sent = client.post(
        f"/artifacts/{artifact}/versions",
        data={"csrf_token": token, "comment": "from the form"},
        files={"file": ("notes.txt", TEXT, "text/plain")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = client.get(f"/artifacts/{artifact}")
    assert "notes.txt" in page.text and "from the form" in page.text
    assert client.get(f"/artifacts/{artifact}/content").content.count(b"SECRET//REL") == 2


def test_an_upload_cut_off_half_way_leaves_nothing(
    client: TestClient, sonar: Sonar, settings: Settings, uow: UowFactory
) -> None:

    def interrupted() -> Iterator[bytes]:
        yield b"x" * (3 << 20)  # three segments in
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        content_services.upload(
            uow,
            Principal.operator("t"),
            sonar.artifacts["REL"],
            "big.bin",
            interrupted(),
            content_services.content_settings(settings),
            for_person=sonar.people.world.alice,
        )
    with uow() as unit:
        assert unit.session.scalars(select(ContentVersion)).all() == []
    folder = Path(settings.data_dir) / "content"
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]
