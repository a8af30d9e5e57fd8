"""Packages that arrived for a reader: imported release packages whose artifacts the
reader may read.

Counted in SQL under the reader's visibility plan for ``read`` (techdata/listing.py), as
authorised lists are: a package the reader may not read is neither counted nor loaded, so
its existence cannot leak through a number."""

from __future__ import annotations

from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.exchange.models import ImportedPackage
from coalition.policy.facts import Action
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing
from coalition.techdata.models import Artifact
from coalition.techdata.services import today


def readable_count(uow: UnitOfWork, actor: Principal) -> int:
    """How many imported packages the actor may read. Reading is decided for a person,
    so an account with no person reads none (the node's operator included: the engine has
    no subject for it)."""
    if actor.person_id is None:
        return 0
    with uow:
        session = uow.session
        readable = listing.visibility(session, uow.database, actor.person_id, Action.READ, today())
        found = session.scalar(
            select(func.count())
            .select_from(ImportedPackage)
            .join(Artifact, Artifact.id == ImportedPackage.artifact_id)
            .where(readable.where(session))
        )
        return int(found or 0)
