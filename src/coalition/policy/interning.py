"""Storing labels once: canonical form, digest, and find-or-create under concurrency."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coalition.policy.banners import render
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.models import LabelClass
from coalition.policy.schemes import SchemeCatalogue


def canonical(label: SecurityLabel) -> dict[str, Any]:
    """The label as plain, sorted JSON data: equal labels give equal bytes."""
    return {
        "scheme": label.scheme,
        "classification": label.classification,
        "originator": label.originator,
        "releasable_to": sorted(label.releasable_to),
        "noforn": label.noforn,
        "caveats": sorted(label.caveats),
        "export": [[m.regime.value, m.category, m.exporting_nation] for m in sorted(label.export)],
        "distribution": label.distribution,
        "ip_terms": label.ip_terms,
        "embargo_until": _iso(label.embargo_until),
        "review_on": _iso(label.review_on),
        "pinned_on": _iso(label.pinned_on),
    }


def digest(label: SecurityLabel) -> str:
    data = json.dumps(canonical(label), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def intern_label(session: Session, label: SecurityLabel, catalogue: SchemeCatalogue) -> LabelClass:
    """The row for ``label``, created on first use. Two writers interning the same new
    label at once both end with the one row: the loser's insert fails on the unique
    digest inside a savepoint, and it reads the winner's row. Call it inside a write use
    case (after ``uow.for_writing()``)."""
    key = digest(label)
    found = session.scalar(select(LabelClass).where(LabelClass.digest == key))
    if found is not None:
        return found
    level = catalogue.get(label.scheme).level_of(label.classification)
    data = canonical(label)
    row = LabelClass(
        digest=key,
        scheme=label.scheme,
        classification=label.classification,
        originator=label.originator,
        common_level=level.level,
        requires_clearance=level.requires_clearance,
        releasable_to=data["releasable_to"],
        noforn=label.noforn,
        caveats=data["caveats"],
        export=data["export"],
        distribution=label.distribution,
        ip_terms=label.ip_terms,
        embargo_until=label.embargo_until,
        review_on=label.review_on,
        pinned_on=label.pinned_on,
        banner=render(label),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = session.scalar(select(LabelClass).where(LabelClass.digest == key))
        assert existing is not None
        return existing
    return row


def label_of(row: LabelClass) -> SecurityLabel:
    """The value object back from its row."""
    return SecurityLabel(
        scheme=row.scheme,
        classification=row.classification,
        originator=row.originator,
        releasable_to=frozenset(row.releasable_to),
        noforn=row.noforn,
        caveats=frozenset(row.caveats),
        export=frozenset(
            ExportMarking(ExportRegime(regime), category, nation)
            for regime, category, nation in row.export
        ),
        distribution=row.distribution,
        ip_terms=row.ip_terms,
        embargo_until=row.embargo_until,
        review_on=row.review_on,
        pinned_on=row.pinned_on,
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
