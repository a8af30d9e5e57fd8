"""The release pre-check over the API and on its page: every item against every recipient,
blockers with remedies, and who must approve; nothing is recorded."""

# The technical-data tests' fixtures are imported and used by name as parameters.
# ruff: noqa: F811

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role
from coalition.audit.models import Event
from coalition.common.workdays import working_days_after
from coalition.exchange import keys as package_keys
from coalition.exchange import tdf
from coalition.ledger import keys as ledger_keys
from coalition.ledger.verify import verify_receipt
from coalition.registry.schemas import SecurityAgreementIn
from coalition.registry.services import create_security_agreement
from coalition.settings import Settings
from coalition.techdata import services as techdata_services
from coalition.techdata.schemas import ArtifactIn, LabelIn
from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    PROBLEM,
    TODAY,
    Sonar,
    cheap_password_hashes,
    people,
    problem_fields,
    sonar,
)
from tests.conftest import UowFactory
from tests.factories import make_account


def _events(uow: UowFactory) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(Event)) or 0


def test_the_precheck_names_every_blocker_and_every_approval_and_records_nothing(
    client: TestClient, sonar: Sonar, uow: UowFactory
) -> None:
    world = sonar.people.world
    headers = login(client, "alice")
    before = _events(uow)
    answer = client.post(
        "/api/v1/releases/precheck",
        headers=headers,
        json={
            "artifact_references": ["SONAR-REL", "SONAR-NOFORN"],
            "recipient_organisation_ids": [str(world.gbr_lab), str(world.fra_lab)],
            "purpose": "carrying_out_the_project",
        },
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["pairs"] == 4
    blocked = {
        (b["artifact_reference"], b["recipient_name"], b["rule"]) for b in result["blockers"]
    }
    # NOFORN goes to no foreign organisation; REL TO USA, GBR not to France.
    assert ("SONAR-NOFORN", "UKSL", "releasability") in blocked
    assert ("SONAR-REL", "LOPT", "releasability") in blocked
    assert all(b["reason"] for b in result["blockers"])
    assert "USA security officer (classified)" in result["approvals"]
    items = {i["artifact_reference"]: i for i in result["items"]}
    assert "LOPT" not in items["SONAR-REL"]["permitted_to"]
    assert items["SONAR-NOFORN"]["permitted_to"] == []
    assert _events(uow) == before  # the log-in was recorded before; nothing since


def test_items_one_may_not_see_are_reported_as_unknown_and_bad_input_is_named(
    client: TestClient, sonar: Sonar
) -> None:
    world = sonar.people.world
    headers = login(client, "bob")  # may not know SONAR-NOFORN exists
    hidden = client.post(
        "/api/v1/releases/precheck",
        headers=headers,
        json={
            "artifact_references": ["SONAR-NOFORN", "NO-SUCH-THING"],
            "recipient_organisation_ids": [str(world.fra_lab)],
            "purpose": "carrying_out_the_project",
        },
    )
    assert hidden.status_code == 422 and hidden.headers["content-type"] == PROBLEM
    assert "no artifact you may see: SONAR-NOFORN, NO-SUCH-THING" in hidden.text
    empty = client.post(
        "/api/v1/releases/precheck",
        headers=headers,
        json={"artifact_references": [], "recipient_organisation_ids": [], "purpose": "x"},
    )
    assert empty.status_code == 422
    assert problem_fields(empty) == {
        "artifact_references",
        "recipient_organisation_ids",
        "purpose",
    }


def test_the_release_page_shows_blockers_and_approvals(client: TestClient, sonar: Sonar) -> None:
    world = sonar.people.world
    token = login(client, "alice")["X-CSRF-Token"]
    page = client.post(
        "/releases/new",
        data={
            "csrf_token": token,
            "artifact_references": "SONAR-REL\nSONAR-NOFORN",
            "recipient_organisation_ids": [str(world.gbr_lab)],
            "purpose": "carrying_out_the_project",
        },
    )
    assert page.status_code == 200, page.text
    assert "recipient pairs may be released" in page.text
    assert "What stands in the way" in page.text and "releasability" in page.text
    assert "USA security officer (classified)" in page.text


@pytest.fixture
def releasable(uow: UowFactory, operator: Principal, sonar: Sonar) -> Sonar:
    """Sonar, with the US-UK security agreement that lets SECRET go to UKSL, and the
    officers who approve: `officer` (security officer on the node) and `exporter`
    (export-control officer on the node)."""
    create_security_agreement(
        uow(),
        operator,
        SecurityAgreementIn(
            reference="US-UK GSA",
            title="US-UK General Security Agreement",
            parties=["USA", "GBR"],
            max_level=4,
            in_force_from=TODAY - timedelta(days=3650),
        ),
    )
    make_account(uow, operator, "exporter", Role.EXPORT_CONTROL_OFFICER)
    return sonar


def _submit(client: TestClient, sonar: Sonar, *references: str) -> Any:
    world = sonar.people.world
    return client.post(
        "/api/v1/releases",
        headers=login(client, "alice"),
        json={
            "artifact_references": list(references),
            "recipient_organisation_ids": [str(world.gbr_lab)],
            "purpose": "carrying_out_the_project",
            "justification": "Sonar trials with UKSL",
        },
    )


def test_a_request_waits_for_its_approvals_each_due_in_working_days_and_is_approved(
    client: TestClient, releasable: Sonar, uow: UowFactory
) -> None:
    submitted = _submit(client, releasable, "SONAR-REL")
    assert submitted.status_code == 201, submitted.text
    request = submitted.json()
    assert request["reference"].startswith("REL-") and request["status"] == "submitted"
    (approval,) = request["approvals"]
    assert (approval["key"], approval["status"]) == ("classified:USA", "pending")
    due = date.fromisoformat(approval["due_on"])
    assert due > TODAY and due.weekday() < 5
    assert approval["may_decide"] is False  # the requester never decides her own

    headers = login(client, "exporter")  # may approve export, not classification
    refused = client.post(
        f"/api/v1/releases/{request['id']}/approvals/classified:USA",
        headers=headers,
        json={"approve": True, "reason": "fine"},
    )
    assert refused.status_code == 403
    headers = login(client, "officer")
    inbox = client.get("/api/v1/releases", params={"inbox": "true"}).json()
    assert [r["reference"] for r in inbox] == [request["reference"]]
    approved = client.post(
        f"/api/v1/releases/{request['id']}/approvals/classified:USA",
        headers=headers,
        json={"approve": True, "reason": "within the GSA"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approvals"][0]["decided_by"] == "officer"
    again = client.post(
        f"/api/v1/releases/{request['id']}/approvals/classified:USA",
        headers=headers,
        json={"approve": False, "reason": "changed my mind"},
    )
    assert again.status_code == 422
    assert client.get("/api/v1/releases", params={"inbox": "true"}).json() == []
    with uow() as unit:
        tags = list(
            unit.session.scalars(
                select(Event.tag).where(Event.tag.startswith("releases:")).order_by(Event.id)
            )
        )
    assert tags == ["releases:request:submit", "releases:approval:approve"]


def test_a_request_with_blockers_is_refused_naming_them_and_nothing_is_kept(
    client: TestClient, releasable: Sonar
) -> None:
    refused = _submit(client, releasable, "SONAR-REL", "SONAR-NOFORN")
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert "SONAR-NOFORN to UKSL: releasability" in refused.text
    login(client, "alice")
    assert client.get("/api/v1/releases").json() == []


def test_one_rejection_rejects_and_the_requester_may_withdraw_only_what_is_open(
    client: TestClient, releasable: Sonar
) -> None:
    first = _submit(client, releasable, "SONAR-REL").json()
    second = _submit(client, releasable, "SONAR-REL").json()
    assert first["reference"] != second["reference"]
    headers = login(client, "officer")
    rejected = client.post(
        f"/api/v1/releases/{first['id']}/approvals/classified:USA",
        headers=headers,
        json={"approve": False, "reason": "not needed for the trials"},
    )
    assert rejected.json()["status"] == "rejected"
    headers = login(client, "alice")
    closed = client.post(
        f"/api/v1/releases/{first['id']}/withdraw", headers=headers, json={"reason": "moot"}
    )
    assert closed.status_code == 422
    withdrawn = client.post(
        f"/api/v1/releases/{second['id']}/withdraw", headers=headers, json={"reason": "moot"}
    )
    assert withdrawn.json()["status"] == "withdrawn"
    login(client, "bob")  # neither requester nor approver
    assert client.get(f"/api/v1/releases/{second['id']}").status_code == 404


def test_due_dates_skip_weekends_and_national_holidays() -> None:
    # Christmas Day and Boxing Day 2026 fall on Friday and Saturday; in the UK the
    # Boxing Day holiday moves to Monday the 28th.
    assert working_days_after(date(2026, 12, 24), 1, "GBR") == date(2026, 12, 29)
    assert working_days_after(date(2026, 12, 24), 1, "USA") == date(2026, 12, 28)
    assert working_days_after(date(2026, 12, 24), 1, "XXX") == date(2026, 12, 25)


def test_the_officer_approves_on_the_request_page(client: TestClient, releasable: Sonar) -> None:
    made = _submit(client, releasable, "SONAR-REL").json()
    login(client, "alice")
    assert "Approve" not in client.get(f"/releases/{made['id']}").text  # her own
    token = login(client, "officer")["X-CSRF-Token"]
    inbox = client.get("/releases", params={"inbox": "true"})
    assert made["reference"] in inbox.text
    page = client.get(f"/releases/{made['id']}")
    assert "Approve" in page.text and "classified:USA" in page.text
    client.post(
        f"/releases/{made['id']}/approvals/classified:USA",
        data={"csrf_token": token, "reason": "within the GSA", "decision": "approve"},
    )
    assert "approved" in client.get(f"/releases/{made['id']}").text
    assert made["reference"] not in client.get("/releases", params={"inbox": "true"}).text


def test_an_approved_item_goes_out_as_a_package_only_its_partner_opens_with_a_receipt(
    client: TestClient, releasable: Sonar, settings: Settings
) -> None:
    world = releasable.people.world
    log = ledger_keys.keygen(settings.effective_ledger_key_file, settings.ledger_origin)
    _, signing = package_keys.keygen(
        settings.effective_package_key_file, settings.effective_package_signing_key_file
    )
    partner = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    partner_signing = Ed25519PrivateKey.generate()
    headers = login(client, "admin")
    registered = client.post(
        "/api/v1/partners",
        headers=headers,
        json={
            "name": "coalition.uksl.example",
            "url": "https://coalition.uksl.example",
            "organisation_ids": [str(world.gbr_lab)],
            "wrapping_key": package_keys.public_pem(partner.public_key()),
            "signing_key": package_keys.public_pem(partner_signing.public_key()),
        },
    )
    assert registered.status_code == 201, registered.text
    bad = client.post(
        "/api/v1/partners",
        headers=headers,
        json={
            "name": "x.example",
            "url": "https://x.example",
            "organisation_ids": [str(world.fra_lab)],
            "wrapping_key": package_keys.public_pem(partner_signing.public_key()) * 2,
            "signing_key": package_keys.public_pem(partner.public_key()),
        },
    )
    assert bad.status_code == 422 and problem_fields(bad) == {"wrapping_key", "signing_key"}

    headers = login(client, "alice")
    artifact = releasable.artifacts["REL"]
    body = b"Sonar trial 4: detection ranges\n" * 50
    client.post(
        f"/api/v1/artifacts/{artifact}/versions",
        params={"filename": "trial.txt"},
        content=body,
        headers=headers,
    )
    made = _submit(client, releasable, "SONAR-REL").json()
    url = f"/api/v1/releases/{made['id']}/packages/{artifact}/{world.gbr_lab}"
    assert client.get(url).status_code == 422  # not approved yet
    client.post(
        f"/api/v1/releases/{made['id']}/approvals/classified:USA",
        headers=login(client, "officer"),
        json={"approve": True, "reason": "within the GSA"},
    )
    assert client.get(url).status_code == 403  # only the requester sends
    login(client, "alice")
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].endswith('-SONAR-REL-UKSL.tdf"')
    opened, plain = tdf.open_package(answer.content, signing.public_key(), partner)
    assert plain == body
    assert "https://coalition.example/attr/rel-to/value/gbr" in opened.attributes
    assert opened.receipt is not None and opened.receipt_entry is not None
    verified = verify_receipt(opened.receipt, opened.receipt_entry, log.verifier)
    assert verified.checkpoint.size > int(answer.headers["x-coalition-ledger-index"])
    assert b"releases:item:release" in opened.receipt_entry
    assert opened.provenance is not None
    assert (opened.provenance["item"], opened.provenance["recipient"]) == ("SONAR-REL", "UKSL")
    assert opened.provenance["request"] == made["reference"]
    with pytest.raises(tdf.PackageError):
        tdf.open_package(
            answer.content, signing.public_key(), rsa.generate_private_key(65537, 2048)
        )
    page = client.get(f"/releases/{made['id']}")
    assert "SONAR-REL for UKSL (.tdf)" in page.text and "Every item for UKSL (.zip)" in page.text
    web = client.get(f"/releases/{made['id']}/packages/{artifact}/{world.gbr_lab}")
    assert web.status_code == 200 and web.content[:2] == b"PK"
    bundled = client.get(f"/api/v1/releases/{made['id']}/bundles/{world.gbr_lab}")
    assert bundled.status_code == 200, bundled.text
    assert bundled.headers["content-disposition"].endswith(f'{made["reference"]}-UKSL.zip"')
    from_page = client.get(f"/releases/{made['id']}/bundles/{world.gbr_lab}")
    assert from_page.status_code == 200 and from_page.content[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(bundled.content)) as archive:
        (name,) = archive.namelist()
        assert name.endswith("-SONAR-REL-UKSL.tdf")
        assert tdf.open_package(archive.read(name), signing.public_key(), partner)[1] == body


def test_the_last_approval_draws_down_the_licence_and_two_never_overdraw_it(
    client: TestClient, releasable: Sonar, operator: Principal, uow: UowFactory
) -> None:
    world = releasable.people.world
    controlled = techdata_services.create_artifact(
        uow(),
        operator,
        ArtifactIn(
            reference="SONAR-ITAR",
            title="Sonar processor design",
            kind="drawing",
            project_id=releasable.project,
            owner_organisation_id=world.usa_lab,
            label=LabelIn(
                scheme="USA",
                originator="USA",
                banner="SECRET//REL TO USA, GBR",
                export=[{"regime": "ITAR", "category": "USML XI(d)", "exporting_nation": "USA"}],
            ),
        ),
    )
    headers = login(client, "admin")
    licence = client.post(
        "/api/v1/export-authorisations",
        headers=headers,
        json={
            "reference": "DSP-5 777",
            "kind": "dsp_5",
            "issuing_nation": "USA",
            "regime": "ITAR",
            "categories": ["USML XI(d)"],
            "recipient_nations": ["GBR"],
            "quantity_limit": 3,
            "valid_from": (TODAY - timedelta(days=5)).isoformat(),
            "valid_until": (TODAY + timedelta(days=300)).isoformat(),
        },
    ).json()
    requests = []
    for _ in range(2):
        made = client.post(
            "/api/v1/releases",
            headers=login(client, "alice"),
            json={
                "artifact_references": [controlled.reference],
                "recipient_organisation_ids": [str(world.gbr_lab)],
                "purpose": "carrying_out_the_project",
                "justification": "processor build at UKSL",
                "quantity": 2,
            },
        )
        assert made.status_code == 201, made.text
        requests.append(made.json())
    assert [a["key"] for a in requests[0]["approvals"]] == ["classified:USA", "export:USA:ITAR"]
    headers = login(client, "officer")
    for made in requests:
        client.post(
            f"/api/v1/releases/{made['id']}/approvals/classified:USA",
            headers=headers,
            json={"approve": True, "reason": "within the GSA"},
        )
    headers = login(client, "exporter")
    first = client.post(
        f"/api/v1/releases/{requests[0]['id']}/approvals/export:USA:ITAR",
        headers=headers,
        json={"approve": True, "reason": "covered by DSP-5 777"},
    )
    assert first.status_code == 200 and first.json()["status"] == "approved"
    second = client.post(
        f"/api/v1/releases/{requests[1]['id']}/approvals/export:USA:ITAR",
        headers=headers,
        json={"approve": True, "reason": "covered by DSP-5 777"},
    )
    assert second.status_code == 409 and "no longer permitted: export" in second.text
    shown = client.get(f"/api/v1/releases/{requests[1]['id']}").json()
    assert shown["status"] == "submitted"  # the refused approval left nothing
    drawn = client.get(f"/api/v1/export-authorisations/{licence['id']}").json()
    assert drawn["quantity_remaining"] == 1
    assert [d["reference"] for d in drawn["drawdowns"]] == [requests[0]["reference"]]


def test_the_node_admin_registers_a_partner_on_its_page(
    client: TestClient, releasable: Sonar
) -> None:
    world = releasable.people.world
    token = login(client, "admin")["X-CSRF-Token"]
    wrapping = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing = Ed25519PrivateKey.generate()
    form = {
        "csrf_token": token,
        "name": "coalition.lopt.example",
        "url": "https://coalition.lopt.example",
        "organisation_ids": [str(world.fra_lab)],
        "wrapping_key": package_keys.public_pem(signing.public_key()) * 3,  # the wrong kind
        "signing_key": package_keys.public_pem(signing.public_key()),
    }
    refused = client.post("/partners", data=form)
    assert refused.status_code == 422 and "must be an RSA public key" in refused.text
    form["wrapping_key"] = package_keys.public_pem(wrapping.public_key())
    page = client.post("/partners", data=form)
    assert page.status_code == 200 and "coalition.lopt.example registered" in page.text
    login(client, "alice")
    assert "Register a partner node" not in client.get("/partners").text
