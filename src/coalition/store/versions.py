"""The fact version: a counter that moves in the same transaction as any change to a fact
the release decision reads, so caches of per-subject verdicts know when they are stale,
across processes.

The counter is bumped once per transaction, as its last statement before commit: the row
lock it takes is the last one a writer acquires, so it cannot take part in a deadlock, and
readers never wait for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

#: Tables whose rows are facts of a decision. Artifacts are not: their label, project and
#: owner are read by the listing query itself, and label classes are only ever added.
#: Accounts are not either (every log-in touches them): their status is read afresh.
FACT_TABLES = frozenset(
    {
        "people",
        "citizenships",
        "clearances",
        "briefings",
        "dual_national_exemptions",
        "organisations",
        "nation_groups",
        "group_memberships",
        "classification_levels",
        "security_agreements",
        "security_agreement_parties",
        "agreements",
        "projects",
        "project_participants",
        "project_members",
        "export_authorisations",
        "export_exemptions",
        "ip_assets",
        "ip_owners",
        "ip_licences",
        "need_to_know_grants",
    }
)
_CHANGED = "coalition.facts_changed"


def read_version(session: Session) -> int:
    return int(session.execute(text("SELECT counter FROM fact_versions WHERE id = 1")).scalar_one())


@event.listens_for(Session, "before_flush")
def _note_fact_changes(session: Session, flush_context: Any, instances: Any) -> None:
    if session.info.get(_CHANGED):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(type(obj), "__tablename__", None) in FACT_TABLES:
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "before_commit")
def _bump_fact_version(session: Session) -> None:
    session.flush()
    if session.info.pop(_CHANGED, False):
        session.execute(text("UPDATE fact_versions SET counter = counter + 1 WHERE id = 1"))


@event.listens_for(Session, "after_rollback")
def _forget_fact_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
