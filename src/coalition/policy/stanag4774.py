"""STANAG 4774 confidentiality labels: XML import and export, parsed safely.

Coalition's profile (documented in docs/stanag-4774.md):
- ``PolicyIdentifier`` holds the scheme code, with the scheme's OID in ``URI`` if it has one;
  ``Classification`` the marking in that scheme.
- PERMISSIVE ``Releasable To`` lists nations and groups (any-of).
- RESTRICTIVE ``Only`` with the originating nation means NOFORN.
- RESTRICTIVE ``Additional Sensitivity`` lists the caveats the holder must all have.
- INFORMATIVE categories carry what the decision engine reads from its own labels but a
  foreign system need only display: ``Originating Nation``, ``Export Control``
  (``REGIME|CATEGORY|NATION``), ``Distribution``, ``IP Terms``, ``Embargo Until``,
  ``Membership Date``.
- ``ReviewDateTime`` on the root carries the review date.

Parsing refuses any DTD, entity or external reference (defusedxml), so no entity expansion
("billion laughs") and no network or file access can happen while reading a label.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.schemes import LabelError, SchemeCatalogue

NS = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
ORIGINATOR_ROOT = "originatorConfidentialityLabel"
ALTERNATIVE_ROOT = "alternativeConfidentialityLabel"
MAX_DOCUMENT_BYTES = 256 * 1024

PERMISSIVE, RESTRICTIVE, INFORMATIVE = "PERMISSIVE", "RESTRICTIVE", "INFORMATIVE"
REL_TO, ONLY, SENSITIVITY = "Releasable To", "Only", "Additional Sensitivity"
ORIGINATOR, EXPORT, DISTRIBUTION = "Originating Nation", "Export Control", "Distribution"
IP_TERMS, EMBARGO, MEMBERSHIP_DATE = "IP Terms", "Embargo Until", "Membership Date"


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


@dataclass(frozen=True)
class LabelDocument:
    label: SecurityLabel
    created_at: datetime
    alternative: bool = False


def export_label(
    label: SecurityLabel,
    catalogue: SchemeCatalogue,
    *,
    created_at: datetime,
    alternative_scheme: str | None = None,
) -> bytes:
    """The label as a STANAG 4774 document; with ``alternative_scheme``, the equivalent
    ``alternativeConfidentialityLabel`` in a partner's scheme."""
    shown = label.in_scheme(catalogue, alternative_scheme) if alternative_scheme else label
    root = ET.Element(_q(ALTERNATIVE_ROOT if alternative_scheme else ORIGINATOR_ROOT))
    if label.review_on:
        root.set("ReviewDateTime", _datetime(label.review_on))
    info = ET.SubElement(root, _q("ConfidentialityInformation"))
    policy = ET.SubElement(info, _q("PolicyIdentifier"))
    policy.text = shown.scheme
    oid = catalogue.get(shown.scheme).policy_oid
    if oid:
        policy.set("URI", oid)
    ET.SubElement(info, _q("Classification")).text = shown.classification
    if label.noforn:
        _category(info, ONLY, RESTRICTIVE, [label.originator])
    elif label.releasable_to:
        _category(info, REL_TO, PERMISSIVE, sorted(label.releasable_to))
    if label.caveats:
        _category(info, SENSITIVITY, RESTRICTIVE, sorted(label.caveats))
    _category(info, ORIGINATOR, INFORMATIVE, [label.originator])
    if label.export:
        values = [f"{m.regime}|{m.category}|{m.exporting_nation}" for m in sorted(label.export)]
        _category(info, EXPORT, INFORMATIVE, values)
    for tag, value in (
        (DISTRIBUTION, label.distribution),
        (IP_TERMS, label.ip_terms),
        (EMBARGO, label.embargo_until.isoformat() if label.embargo_until else None),
        (MEMBERSHIP_DATE, label.pinned_on.isoformat() if label.pinned_on else None),
    ):
        if value:
            _category(info, tag, INFORMATIVE, [value])
    ET.SubElement(root, _q("CreationDateTime")).text = created_at.astimezone(UTC).isoformat()
    ET.register_namespace("", NS)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _category(parent: ET.Element, tag: str, kind: str, values: list[str]) -> None:
    category = ET.SubElement(parent, _q("Category"), {"TagName": tag, "Type": kind})
    for value in values:
        ET.SubElement(category, _q("GenericValue")).text = value


def _datetime(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


def import_label(document: bytes | str, catalogue: SchemeCatalogue) -> LabelDocument:
    """A label from a STANAG 4774 document; refuses DTDs, entities and unknown content."""
    data = document.encode() if isinstance(document, str) else document
    if len(data) > MAX_DOCUMENT_BYTES:
        raise LabelError("xml", f"is larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise LabelError(
            "xml", f"DTDs, entities and external references are not allowed ({exc})"
        ) from exc
    except ET.ParseError as exc:
        raise LabelError("xml", f"is not well-formed XML ({exc})") from exc
    if root.tag not in (_q(ORIGINATOR_ROOT), _q(ALTERNATIVE_ROOT)):
        raise LabelError("xml", f"the root must be {ORIGINATOR_ROOT} or {ALTERNATIVE_ROOT} in {NS}")
    info = _one(root, "ConfidentialityInformation")
    policy = _one(info, "PolicyIdentifier")
    scheme = _scheme(policy, catalogue)
    classification = _text(_one(info, "Classification"), "Classification")
    categories = _categories(info)
    originator = _single(categories, ORIGINATOR)
    if originator is None:
        raise LabelError("xml", f"has no INFORMATIVE '{ORIGINATOR}' category")
    only = categories.get((ONLY, RESTRICTIVE), [])
    if only and only != [originator]:
        raise LabelError("xml", "an 'Only' category other than the originating nation")
    label = SecurityLabel(
        scheme=scheme,
        classification=catalogue.get(scheme).level_of(classification).marking,
        originator=originator,
        releasable_to=frozenset(categories.get((REL_TO, PERMISSIVE), [])),
        noforn=bool(only),
        caveats=frozenset(categories.get((SENSITIVITY, RESTRICTIVE), [])),
        export=frozenset(_export(v) for v in categories.get((EXPORT, INFORMATIVE), [])),
        distribution=_single(categories, DISTRIBUTION),
        ip_terms=_single(categories, IP_TERMS),
        embargo_until=_date(_single(categories, EMBARGO), EMBARGO),
        review_on=_review(root.get("ReviewDateTime")),
        pinned_on=_date(_single(categories, MEMBERSHIP_DATE), MEMBERSHIP_DATE),
    )
    created = _text(_one(root, "CreationDateTime"), "CreationDateTime")
    return LabelDocument(
        label,
        _parse_datetime(created, "CreationDateTime"),
        alternative=root.tag == _q(ALTERNATIVE_ROOT),
    )


def _one(parent: ET.Element, name: str) -> ET.Element:
    found = parent.findall(_q(name))
    if len(found) != 1:
        raise LabelError("xml", f"needs exactly one {name}, found {len(found)}")
    return found[0]


def _text(element: ET.Element, name: str) -> str:
    text = (element.text or "").strip()
    if not text:
        raise LabelError("xml", f"{name} is empty")
    return text


def _scheme(policy: ET.Element, catalogue: SchemeCatalogue) -> str:
    uri = policy.get("URI")
    if uri and (by_oid := catalogue.by_policy_oid(uri)) is not None:
        return by_oid.code
    return catalogue.get(_text(policy, "PolicyIdentifier")).code


def _categories(info: ET.Element) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for category in info.findall(_q("Category")):
        tag, kind = category.get("TagName", ""), category.get("Type", "")
        if kind not in (PERMISSIVE, RESTRICTIVE, INFORMATIVE):
            raise LabelError("xml", f"Category '{tag}' has Type '{kind}'")
        values = [_text(v, "GenericValue") for v in category.findall(_q("GenericValue"))]
        if not values:
            raise LabelError("xml", f"Category '{tag}' has no GenericValue")
        out.setdefault((tag, kind), []).extend(values)
    return out


def _single(categories: dict[tuple[str, str], list[str]], tag: str) -> str | None:
    values = categories.get((tag, INFORMATIVE), [])
    if len(values) > 1:
        raise LabelError("xml", f"'{tag}' has more than one value")
    return values[0] if values else None


def _export(value: str) -> ExportMarking:
    parts = value.split("|")
    if len(parts) != 3:
        raise LabelError("xml", f"export control '{value}' is not REGIME|CATEGORY|NATION")
    try:
        regime = ExportRegime(parts[0])
    except ValueError as exc:
        raise LabelError("xml", f"export regime '{parts[0]}' is unknown") from exc
    return ExportMarking(regime, parts[1], parts[2])


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise LabelError("xml", f"{name} '{value}' is not a date") from exc


def _parse_datetime(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise LabelError("xml", f"{name} '{value}' is not a date and time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _review(value: str | None) -> date | None:
    return _parse_datetime(value, "ReviewDateTime").date() if value else None
