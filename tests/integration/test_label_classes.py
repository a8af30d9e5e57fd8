"""Labels are stored once and come back unchanged; concurrent writers share one row."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from coalition.policy.interning import digest, intern_label, label_of
from coalition.policy.labels import ExportMarking, ExportRegime, SecurityLabel
from coalition.policy.models import LabelClass
from coalition.policy.schemes import catalogue_from_mapping
from coalition.store.db import make_engine
from coalition.store.uow import uow_factory
from tests.conftest import REFERENCE_DIR, UowFactory

CATALOGUE = catalogue_from_mapping(
    yaml.safe_load((Path(REFERENCE_DIR) / "classification-schemes.yaml").read_text())
)
LABEL = SecurityLabel(
    scheme="USA",
    classification="SECRET",
    originator="USA",
    releasable_to=frozenset({"USA", "GBR", "FVEY"}),
    caveats=frozenset({"ORCON"}),
    export=frozenset({ExportMarking(ExportRegime.ITAR, "USML XI(d)", "USA")}),
    review_on=date(2031, 1, 1),
)


def count(uow: UowFactory) -> int:
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(LabelClass)) or 0


def test_the_same_label_is_stored_once(uow: UowFactory) -> None:
    before = count(uow)
    with uow() as u:
        first = intern_label(u.session, LABEL, CATALOGUE)
        again = intern_label(u.session, SecurityLabel(**_fields(LABEL)), CATALOGUE)
        u.commit()
        assert first.id == again.id
    assert count(uow) == before + 1


def test_a_stored_label_comes_back_unchanged_with_its_banner_and_level(uow: UowFactory) -> None:
    with uow() as u:
        row = intern_label(u.session, LABEL, CATALOGUE)
        u.commit()
        assert label_of(row) == LABEL
        assert (row.common_level, row.requires_clearance) == (3, True)
        assert row.banner == "SECRET//ORCON/REL TO USA, GBR, FVEY"
        assert row.digest == digest(LABEL)


def test_labels_that_differ_in_anything_are_different_classes(uow: UowFactory) -> None:
    with uow() as u:
        a = intern_label(u.session, LABEL, CATALOGUE)
        b = intern_label(
            u.session,
            SecurityLabel(**{**_fields(LABEL), "caveats": frozenset()}),
            CATALOGUE,
        )
        u.commit()
        assert a.id != b.id


def test_two_writers_interning_one_new_label_share_one_row(fresh_url: str) -> None:
    uow = uow_factory(make_engine(fresh_url))
    barrier = threading.Barrier(2)
    ids: list[int] = []

    def write() -> None:
        with uow() as u:
            barrier.wait()
            u.for_writing()  # as every write use case does (SQLite takes its lock here)
            ids.append(intern_label(u.session, LABEL, CATALOGUE).id)
            u.commit()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ids) == 2 and ids[0] == ids[1]
    assert count(uow) == 1


def _fields(label: SecurityLabel) -> dict[str, Any]:
    return {name: getattr(label, name) for name in label.__dataclass_fields__}
