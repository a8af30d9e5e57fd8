"""STANAG 4774 label documents: lossless round trip, alternatives, and safe parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.schemes import LabelError, SchemeCatalogue
from coalition.policy.stanag4774 import NS, export_label, import_label
from tests.unit.policy.conftest import load_catalogue

CATALOGUE = load_catalogue()
CREATED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)

FULL = SecurityLabel(
    scheme="NATO",
    classification="NATO SECRET",
    originator="GBR",
    releasable_to=frozenset({"GBR", "USA", "FVEY"}),
    caveats=frozenset({"ORCON", "AURORA"}),
    export=frozenset({ExportMarking(ExportRegime.ITAR, "USML XI(d)", "USA")}),
    distribution="Distribution D",
    ip_terms="CSAR-PA-01 annex C",
    embargo_until=date(2027, 1, 1),
    review_on=date(2031, 1, 1),
    pinned_on=date(2026, 1, 1),
)


def test_a_full_label_survives_export_and_import(catalogue: SchemeCatalogue) -> None:
    document = export_label(FULL, catalogue, created_at=CREATED)
    assert NS.encode() in document and b"urn:oid:1.3.26.1.3.1" in document
    back = import_label(document, catalogue)
    assert back.label == FULL and back.created_at == CREATED and not back.alternative


def test_noforn_travels_as_only_the_originator(catalogue: SchemeCatalogue) -> None:
    noforn = SecurityLabel(scheme="USA", classification="SECRET", originator="USA", noforn=True)
    document = export_label(noforn, catalogue, created_at=CREATED)
    assert b'TagName="Only" Type="RESTRICTIVE"' in document
    assert import_label(document, catalogue).label == noforn


def test_alternative_label_shows_the_partners_marking(catalogue: SchemeCatalogue) -> None:
    us = SecurityLabel(
        scheme="USA",
        classification="CONFIDENTIAL",
        originator="USA",
        releasable_to=frozenset({"USA", "GBR"}),
    )
    document = export_label(us, catalogue, created_at=CREATED, alternative_scheme="GBR")
    assert b"alternativeConfidentialityLabel" in document
    back = import_label(document, catalogue)
    assert back.alternative
    assert (back.label.scheme, back.label.classification) == ("GBR", "SECRET")
    assert back.label.releasable_to == us.releasable_to


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">
&lol2;</originatorConfidentialityLabel>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">
&secret;</originatorConfidentialityLabel>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_entities_and_dtds_are_refused(catalogue: SchemeCatalogue, document: bytes) -> None:
    with pytest.raises(LabelError, match="DTDs, entities and external references"):
        import_label(document, catalogue)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"<not-closed", "not well-formed"),
        (b"<label/>", "the root must be"),
        (
            b'<originatorConfidentialityLabel xmlns="' + NS.encode() + b'"/>',
            "exactly one ConfidentialityInformation",
        ),
        (b"x" * (300 * 1024), "larger than"),
    ],
)
def test_malformed_documents_are_refused_with_the_reason(
    catalogue: SchemeCatalogue, document: bytes, problem: str
) -> None:
    with pytest.raises(LabelError, match=problem):
        import_label(document, catalogue)


def test_a_document_without_its_originator_is_refused(catalogue: SchemeCatalogue) -> None:
    document = export_label(FULL, catalogue, created_at=CREATED).replace(
        b"Originating Nation", b"Something Else"
    )
    with pytest.raises(LabelError, match="Originating Nation"):
        import_label(document, catalogue)


def test_an_unknown_marking_is_refused(catalogue: SchemeCatalogue) -> None:
    document = export_label(FULL, catalogue, created_at=CREATED).replace(
        b"NATO SECRET<", b"NATO SEKRIT<"
    )
    with pytest.raises(LabelError, match="not a marking of scheme NATO"):
        import_label(document, catalogue)


NATIONS = ["USA", "GBR", "FRA", "DEU", "CAN"]


@st.composite
def labels(draw: st.DrawFn) -> SecurityLabel:
    scheme = draw(st.sampled_from(["NATO", "USA", "GBR", "FRA", "DEU"]))
    markings = [lv.marking for lv in CATALOGUE.get(scheme).levels]
    originator = draw(st.sampled_from(NATIONS))
    noforn = draw(st.booleans())
    rel = frozenset() if noforn else draw(st.frozensets(st.sampled_from([*NATIONS, "NATO"])))
    return SecurityLabel(
        scheme=scheme,
        classification=draw(st.sampled_from(markings)),
        originator=originator,
        releasable_to=rel | ({originator} if rel else set()),
        noforn=noforn,
        caveats=draw(st.frozensets(st.sampled_from(["ORCON", "AURORA", "Z-9"]), max_size=2)),
        export=draw(
            st.frozensets(
                st.builds(
                    ExportMarking,
                    st.sampled_from(list(ExportRegime)),
                    st.sampled_from(["USML XI(d)", "ECCN 3A001", "ML22"]),
                    st.sampled_from(NATIONS),
                ),
                max_size=2,
            )
        ),
        distribution=draw(
            st.none()
            | st.text("ABCD efg-", min_size=1, max_size=20).filter(lambda t: t.strip() == t)
        ),
        embargo_until=draw(st.none() | st.dates(date(2000, 1, 1), date(2100, 1, 1))),
        review_on=draw(st.none() | st.dates(date(2000, 1, 1), date(2100, 1, 1))),
    )


@given(labels())
def test_every_label_survives_a_document_round_trip(original: SecurityLabel) -> None:
    back = import_label(export_label(original, CATALOGUE, created_at=CREATED), CATALOGUE)
    assert back.label == original
