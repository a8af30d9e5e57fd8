"""Commands and views of discussions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from coalition.common.validation import Code
from coalition.discussions.models import SubjectKind
from coalition.registry.schemas import Command
from coalition.techdata.schemas import LabelIn, LabelOut

Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]


class MessageIn(Command):
    body: Body
    label: LabelIn | None = Field(
        default=None, description="The message's label; left out, the thread's label."
    )
    parent_id: uuid.UUID | None = Field(default=None, description="The message answered.")
    attachments: list[Reference] = Field(
        default=[], max_length=20, description="References of artifacts you may see."
    )
    mentions: list[Email] = Field(
        default=[],
        max_length=50,
        description="E-mail addresses of people to tell, besides '@address' in the body; "
        "only those the engine lets read the message are told.",
    )


class ThreadIn(Command):
    """A thread on a subject, named by id or by its references: a project by ``project``
    (code), a work package by ``project`` and ``work_package`` (codes), an artifact, a
    motion, a risk or a dispute by ``reference``."""

    subject_kind: SubjectKind
    subject_id: uuid.UUID | None = None
    project: Code | None = None
    work_package: Code | None = None
    reference: Reference | None = None
    title: Title
    label: LabelIn
    body: Body | None = Field(
        default=None, description="An opening message, at the thread's label."
    )
    attachments: list[Reference] = Field(default=[], max_length=20)
    mentions: list[Email] = Field(default=[], max_length=50)

    @model_validator(mode="after")
    def _with_a_body(self) -> ThreadIn:
        if self.body is None and (self.attachments or self.mentions):
            raise ValueError("attachments and mentions go with an opening message (body)")
        return self


class ThreadFilters(BaseModel):
    project: Code | None = None
    subject_kind: SubjectKind | None = None
    subject_id: uuid.UUID | None = None


class AttachmentOut(BaseModel):
    id: uuid.UUID
    reference: str
    title: str
    banner: str


class MessageOut(BaseModel):
    id: uuid.UUID
    thread_id: uuid.UUID
    #: The nearest message above this one that the reader may see (None: at the top).
    parent_id: uuid.UUID | None
    depth: int
    author: str
    author_organisation: str
    label: LabelOut
    body: str
    attachments: list[AttachmentOut]
    mentions: list[str]
    created_at: datetime


class ThreadSummary(BaseModel):
    id: uuid.UUID
    subject_kind: SubjectKind
    subject_id: uuid.UUID
    #: The subject's reference, when the reader may know the subject itself.
    subject: str | None
    subject_link: str | None
    project_id: uuid.UUID
    project_code: str
    title: str
    banner: str
    common_level: int
    started_by: str
    started_at: datetime
    #: Messages the reader may see; others are not counted.
    message_count: int
    last_message_at: datetime | None


class ThreadOut(ThreadSummary):
    label: LabelOut
    messages: list[MessageOut]


class ExportOut(BaseModel):
    thread: ThreadSummary
    thread_label: LabelOut
    #: One label over the thread and every message exported (their highest classification
    #: and the releasability they share), or the highest banner when no nation may hold
    #: them all together.
    highest_banner: str
    exported_at: datetime
    exported_by: str
    messages: list[MessageOut]
    text: str
