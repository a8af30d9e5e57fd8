"""Who sees what of discussions.

A thread is checked like an artifact of its project, owned by its starter's organisation,
labelled with the thread's label; a message likewise, owned by its author's organisation
and labelled with its own label. Lists and counts filter both in SQL with the reader's
visibility plan (techdata/listing.py), so nothing hidden is returned or counted; single
messages are decided by the engine.

Which action:

- a thread (that it exists, its title, subject and label) is metadata, as an artifact's
  title is: ``view_metadata`` on the thread's label (agreement, need-to-know and
  releasability);
- a message's body is content: ``read`` on the message's label (every rule: clearance,
  caveats, export markings, embargo as well). A message is shown only inside a thread the
  reader sees.

The node's operator sees everything; an account with no person sees nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, false, true

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.discussions.models import DiscussionMessage, DiscussionThread
from coalition.policy import facts
from coalition.policy.engine import Decision, decide
from coalition.policy.interning import label_of
from coalition.policy.labels import SecurityLabel
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing
from coalition.techdata.models import Artifact
from coalition.techdata.services import decide_for, today

THREAD_ACTION = facts.Action.VIEW_METADATA
MESSAGE_ACTION = facts.Action.READ
#: Owner of an item decided "as a team member": no organisation owns it.
NOBODY = uuid.UUID(int=0)


def person_decision(
    uow: UnitOfWork,
    person_id: uuid.UUID,
    item_id: uuid.UUID,
    project_id: uuid.UUID,
    owner_id: uuid.UUID,
    label: SecurityLabel,
    action: facts.Action,
    day: date | None = None,
) -> Decision:
    """The engine's decision for a person on an item checked like an artifact."""
    on = day or today()
    session = uow.session
    subject = listing.subject_view(session, uow.database, person_id, on).subject
    world, _ = listing.current_world(session, uow.database)
    item = facts.Artifact(item_id, project_id, owner_id, label)
    return decide(facts.Request(subject, item, action, on), world)


class Reader:
    """The actor reading discussions: SQL filters for lists and counts, and decisions on
    single threads, messages and attachments."""

    def __init__(self, uow: UnitOfWork, actor: Principal) -> None:
        self.uow = uow
        self.actor = actor
        self.everything = actor.is_operator
        self.person_id = None if actor.is_operator else actor.person_id
        self.day = today()
        self._artifacts: dict[uuid.UUID, bool] = {}

    @property
    def nothing(self) -> bool:
        return not self.everything and self.person_id is None

    def threads(self) -> ColumnElement[bool]:
        """The threads the reader may know of."""
        if self.everything:
            return true()
        if self.person_id is None:
            return false()
        session = self.uow.session
        seen = listing.visibility(
            session, self.uow.database, self.person_id, THREAD_ACTION, self.day
        )
        return seen.where_on(
            session,
            DiscussionThread.label_id,
            DiscussionThread.project_id,
            DiscussionThread.owner_organisation_id,
        )

    def messages(self) -> ColumnElement[bool]:
        """The messages whose bodies the reader may read (their threads are filtered
        apart, with :meth:`threads`)."""
        if self.everything:
            return true()
        if self.person_id is None:
            return false()
        session = self.uow.session
        seen = listing.visibility(
            session, self.uow.database, self.person_id, MESSAGE_ACTION, self.day
        )
        return seen.where_on(
            session,
            DiscussionMessage.label_id,
            DiscussionMessage.project_id,
            DiscussionMessage.owner_organisation_id,
        )

    def decide_thread(self, thread: DiscussionThread) -> Decision | None:
        """The engine's decision on knowing of the thread (None for the operator, who
        knows of every thread, and for an account with no person, who knows of none)."""
        if self.person_id is None:
            return None
        return person_decision(
            self.uow,
            self.person_id,
            thread.id,
            thread.project_id,
            thread.owner_organisation_id,
            label_of(thread.label),
            THREAD_ACTION,
            self.day,
        )

    def decide_message(self, message: DiscussionMessage) -> Decision | None:
        if self.person_id is None:
            return None
        return person_decision(
            self.uow,
            self.person_id,
            message.id,
            message.project_id,
            message.owner_organisation_id,
            label_of(message.label),
            MESSAGE_ACTION,
            self.day,
        )

    def sees_thread(self, thread: DiscussionThread) -> bool:
        decision = self.decide_thread(thread)
        return self.everything if decision is None else decision.permit

    def knows_artifact(self, artifact: Artifact) -> bool:
        """Whether the reader may know the artifact exists (attachments, subjects)."""
        if self.everything:
            return True
        if self.person_id is None:
            return False
        found = self._artifacts.get(artifact.id)
        if found is None:
            found = decide_for(
                self.uow, self.person_id, artifact, facts.Action.VIEW_METADATA
            ).permit
            self._artifacts[artifact.id] = found
        return found


def require_reader(actor: Principal) -> None:
    """Any active account reads discussions (what it sees is the engine's business)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
