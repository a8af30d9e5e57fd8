"""The export authorisations register over the API: amendments with their history,
draw-downs that never pass a limit, CSV import with row-level
errors and nothing written on any error, and expiry warnings."""

# The technical-data tests' fixtures are imported and used by name as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    PROBLEM,
    TODAY,
    People,
    cheap_password_hashes,
    people,
    problem_fields,
)


def _authorisation(**changes: Any) -> dict[str, Any]:
    return {
        "reference": "DSP-5 050-000001",
        "kind": "dsp_5",
        "issuing_nation": "USA",
        "regime": "ITAR",
        "categories": ["USML XI(d)"],
        "recipient_nations": ["GBR"],
        "value_limit": "1000.00",
        "quantity_limit": 10,
        "valid_from": (TODAY - timedelta(days=30)).isoformat(),
        "valid_until": (TODAY + timedelta(days=365)).isoformat(),
        **changes,
    }


def test_amendments_keep_old_and_new_values_in_order_and_limits_stay_above_use(
    client: TestClient, people: People
) -> None:
    headers = login(client, "admin")
    created = client.post("/api/v1/export-authorisations", headers=headers, json=_authorisation())
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    assert created.json()["value_remaining"] == "1000.00"
    drawn = client.post(
        f"/api/v1/export-authorisations/{ident}/drawdowns",
        headers=headers,
        json={"value": "400", "quantity": 3, "reference": "shipment 1"},
    )
    assert drawn.status_code == 201, drawn.text
    assert (drawn.json()["value_remaining"], drawn.json()["quantity_remaining"]) == (
        "600.00",
        7,
    )
    amended = client.post(
        f"/api/v1/export-authorisations/{ident}/amendments",
        headers=headers,
        json={"recipient_nations": ["GBR", "FRA"], "value_limit": "2000", "reason": "amendment 1"},
    )
    assert amended.status_code == 200, amended.text
    detail = amended.json()
    assert detail["recipient_nations"] == ["FRA", "GBR"]
    assert detail["amendments"] == [
        {
            "number": 1,
            "changes": {
                "recipient_nations": [["GBR"], ["FRA", "GBR"]],
                "value_limit": ["1000.00", "2000.00"],
            },
            "reason": "amendment 1",
            "created_by": "admin",
            "created_at": detail["amendments"][0]["created_at"],
        }
    ]
    below = client.post(
        f"/api/v1/export-authorisations/{ident}/amendments",
        headers=headers,
        json={"value_limit": "100", "quantity_limit": 1, "reason": "cut"},
    )
    assert below.status_code == 422 and problem_fields(below) == {"value_limit", "quantity_limit"}
    nothing = client.post(
        f"/api/v1/export-authorisations/{ident}/amendments",
        headers=headers,
        json={"recipient_nations": ["FRA", "GBR"], "reason": "again"},
    )
    assert nothing.status_code == 422 and "changes nothing" in nothing.text
    too_much = client.post(
        f"/api/v1/export-authorisations/{ident}/drawdowns",
        headers=headers,
        json={"quantity": 8, "reference": "shipment 2"},
    )
    assert too_much.status_code == 409 and "quantity 8 exceeds what remains (7)" in too_much.text
    shown = client.get(f"/api/v1/export-authorisations/{ident}").json()
    assert [d["reference"] for d in shown["drawdowns"]] == ["shipment 1"]
    assert len(shown["amendments"]) == 1
    login(client, "alice")
    assert (
        client.post(
            f"/api/v1/export-authorisations/{ident}/drawdowns",
            headers=login(client, "alice"),
            json={"quantity": 1, "reference": "x"},
        ).status_code
        == 403
    )


CSV_HEADER = (
    "reference,kind,issuing_nation,regime,categories,recipient_nations,end_users,projects,"
    "purposes,value_limit,quantity_limit,provisos,valid_from,valid_until\n"
)


def test_csv_import_names_every_bad_row_and_records_nothing_unless_all_are_right(
    client: TestClient, people: People
) -> None:
    headers = {**login(client, "admin"), "Content-Type": "text/csv"}
    start, end = TODAY.isoformat(), (TODAY + timedelta(days=200)).isoformat()
    good = (
        "TAA 11-001,taa,USA,ITAR,USML XI(d);USML XII,GBR;FRA,,,,5000,,Provisos apply,"
        f"{start},{end}\n"
    )
    bad = (
        CSV_HEADER
        + good
        + f"TAA 11-002,unknown_kind,USA,ITAR,,ZZZ,NOSUCH,,,,,,{start},{end}\n"
        + f"TAA 11-001,taa,USA,ITAR,,GBR,,,,,,,{end},{start}\n"
    )
    refused = client.post("/api/v1/export-authorisations/import", headers=headers, content=bad)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    fields = problem_fields(refused)
    assert {"row 3.kind", "row 3.end_users", "row 4.valid_until"} <= fields
    assert client.get("/api/v1/export-authorisations").json() == []

    header_only = client.post(
        "/api/v1/export-authorisations/import", headers=headers, content="reference,colour\n"
    )
    assert header_only.status_code == 422 and problem_fields(header_only) == {"header"}

    imported = client.post(
        "/api/v1/export-authorisations/import", headers=headers, content=CSV_HEADER + good
    )
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"created": 1, "references": ["TAA 11-001"]}
    listed = client.get("/api/v1/export-authorisations").json()
    assert listed[0]["categories"] == ["USML XI(d)", "USML XII"]
    assert listed[0]["recipient_nations"] == ["FRA", "GBR"]
    again = client.post(
        "/api/v1/export-authorisations/import", headers=headers, content=CSV_HEADER + good
    )
    assert again.status_code == 422 and problem_fields(again) == {"row 2.reference"}


def test_expiry_warnings_come_at_90_60_and_30_days(client: TestClient, people: People) -> None:
    headers = login(client, "admin")
    for reference, days in (("A-10", 10), ("A-45", 45), ("A-80", 80), ("A-200", 200)):
        made = client.post(
            "/api/v1/export-authorisations",
            headers=headers,
            json=_authorisation(
                reference=reference, valid_until=(TODAY + timedelta(days=days)).isoformat()
            ),
        )
        assert made.status_code == 201, made.text
    expiring = client.get("/api/v1/export-authorisations/expiring").json()
    assert [(a["reference"], a["expiry_warning"]) for a in expiring] == [
        ("A-10", 30),
        ("A-45", 60),
        ("A-80", 90),
    ]
