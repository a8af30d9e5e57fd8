"""Uploading content versions and handing content out, each after the engine's permit.

An upload runs in two short transactions with the stream between them, so that a large
upload never holds the database's write lock:

1. check that the uploader may add content to this artifact and may read it (the engine's
   ``read`` decision, recorded), and create the artifact's data key if it has none;
2. seal the stream into the blob store, counting and hashing it, and stop at the limit;
3. record the version and its event. If this fails, the blob is deleted; if the process
   dies before, only an unreferenced blob remains, and the version was never
   acknowledged.

Handing out records the engine's decision (``read`` to view, ``download`` to keep), permit
or deny, before a byte leaves; the content is unsealed segment by segment, every segment
authenticated, and marked (``marking.py``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import puremagic
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.content import keys, marking
from coalition.content.blobs import BlobStore, LocalBlobs, S3Blobs
from coalition.content.models import ArtifactKey, ContentVersion
from coalition.content.schemas import VersionOut
from coalition.content.sealing import DEFAULT_SEGMENT, Sealer, new_key, unseal, unwrap_key, wrap_key
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.policy import stanag4774
from coalition.policy.facts import Action
from coalition.policy.interning import label_of
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata import services as techdata
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import ArtifactOut

UowFactory = Callable[[], UnitOfWork]
#: How many bytes of the start are read to recognise the content's type.
SNIFF_BYTES = 8192
MAX_FILENAME = 255


@dataclass(frozen=True)
class ContentSettings:
    blobs: BlobStore
    #: The node's content key, read from its file when first needed.
    node_key: Callable[[], bytes]
    max_bytes: int
    segment_size: int = DEFAULT_SEGMENT


def content_settings(settings: Settings) -> ContentSettings:
    """The node's content store and key, from its settings."""
    key_file = settings.effective_content_key_file
    blobs: BlobStore = (
        S3Blobs.connect(
            settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url, settings.s3_region
        )
        if settings.content_store == "s3"
        else LocalBlobs(settings.effective_content_dir)
    )
    return ContentSettings(
        blobs=blobs,
        node_key=lambda: keys.load_or_create(key_file),
        max_bytes=settings.upload_max_bytes,
    )


class TooLarge(ValidationFailed):
    status = 413
    title = "Content too large"


def check_filename(filename: str) -> str:
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    problems = []
    if not name or name in {".", ".."}:
        problems.append("is empty")
    if len(name) > MAX_FILENAME:
        problems.append(f"is longer than {MAX_FILENAME} characters")
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        problems.append("holds control characters")
    if problems:
        raise ValidationFailed.of("filename", ", ".join(problems))
    return name


def upload(
    uow: UowFactory,
    actor: Principal,
    artifact_id: uuid.UUID,
    filename: str,
    chunks: Iterable[bytes],
    settings: ContentSettings,
    *,
    declared_type: str | None = None,
    comment: str | None = None,
    for_person: uuid.UUID | None = None,
) -> VersionOut:
    name = check_filename(filename)
    if comment is not None and len(comment) > 500:
        raise ValidationFailed.of("comment", "is longer than 500 characters")
    data_key = _prepare(uow, actor, artifact_id, settings, for_person)
    version_id = uuid.uuid4()
    blob = f"{artifact_id.hex}/{version_id.hex}.sealed"
    size, sha, head = _seal_stream(settings, data_key, version_id, blob, chunks)
    try:
        return _record(
            uow,
            actor,
            artifact_id,
            ContentVersion(
                id=version_id,
                artifact_id=artifact_id,
                filename=name,
                content_type=content_type_of(head, name, declared_type),
                size=size,
                sha256=sha,
                blob=blob,
                segment_size=settings.segment_size,
                comment=comment,
                created_by=actor.name,
            ),
        )
    except BaseException:
        settings.blobs.delete(blob)  # never acknowledged: nothing is left behind
        raise


def _seal_stream(
    settings: ContentSettings,
    data_key: bytes,
    version_id: uuid.UUID,
    blob: str,
    chunks: Iterable[bytes],
) -> tuple[int, str, bytes]:
    """Seal the chunks into a new blob, within the size limit: the plaintext's size,
    SHA-256 and first bytes (to recognise its type). Nothing is left of a failed one."""
    digest = hashlib.sha256()
    head = bytearray()
    with settings.blobs.create(blob) as file:
        sealer = Sealer(data_key, version_id.bytes, file, settings.segment_size)
        for chunk in chunks:
            if sealer.plaintext_bytes + len(chunk) > settings.max_bytes:
                raise TooLarge.of(
                    "content", f"is larger than the limit of {settings.max_bytes} bytes"
                )
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
            sealer.write(chunk)
        sealer.close()
        return sealer.plaintext_bytes, digest.hexdigest(), bytes(head)


def seal_first_version(
    session: Session,
    actor: Principal,
    artifact: Artifact,
    filename: str,
    chunks: Iterable[bytes],
    settings: ContentSettings,
    *,
    comment: str | None = None,
) -> ContentVersion:
    """Inside an open writing unit of work: a new artifact's data key and its first
    version, sealed into a blob. The caller decided who may do this, and deletes the
    blob (``version.blob``) if its transaction then fails."""
    name = check_filename(filename)
    data_key = new_key()
    session.add(
        ArtifactKey(artifact_id=artifact.id, wrapped_key=wrap_key(settings.node_key(), data_key))
    )
    return _seal_version(session, actor, artifact, data_key, 1, name, chunks, settings, comment)


def seal_next_version(
    session: Session,
    actor: Principal,
    artifact: Artifact,
    filename: str,
    chunks: Iterable[bytes],
    settings: ContentSettings,
    *,
    comment: str | None = None,
) -> ContentVersion:
    """Inside an open writing unit of work: the next version of an artifact, sealed with
    its data key (the first, if it has none). As :func:`seal_first_version`, the caller
    decided who may, and deletes the blob if its transaction fails."""
    kept = session.get(ArtifactKey, artifact.id)
    if kept is None:
        return seal_first_version(
            session, actor, artifact, filename, chunks, settings, comment=comment
        )
    name = check_filename(filename)
    data_key = unwrap_key(settings.node_key(), bytes(kept.wrapped_key))
    last = session.scalar(
        select(func.max(ContentVersion.number)).where(ContentVersion.artifact_id == artifact.id)
    )
    number = (last or 0) + 1
    return _seal_version(
        session, actor, artifact, data_key, number, name, chunks, settings, comment
    )


def _seal_version(
    session: Session,
    actor: Principal,
    artifact: Artifact,
    data_key: bytes,
    number: int,
    name: str,
    chunks: Iterable[bytes],
    settings: ContentSettings,
    comment: str | None,
) -> ContentVersion:
    version_id = uuid.uuid4()
    blob = f"{artifact.id.hex}/{version_id.hex}.sealed"
    size, sha, head = _seal_stream(settings, data_key, version_id, blob, chunks)
    version = ContentVersion(
        id=version_id,
        artifact_id=artifact.id,
        number=number,
        filename=name,
        content_type=content_type_of(head, name, None),
        size=size,
        sha256=sha,
        blob=blob,
        segment_size=settings.segment_size,
        comment=comment,
        created_by=actor.name,
    )
    session.add(version)
    return version


def _prepare(
    uow: UowFactory,
    actor: Principal,
    artifact_id: uuid.UUID,
    settings: ContentSettings,
    for_person: uuid.UUID | None,
) -> bytes:
    """The first short transaction: may the actor add content, and the data key."""
    with uow() as unit:
        artifact, decision = techdata.decide_own_access(
            unit, actor, artifact_id, Action.READ, for_person
        )
        unit.for_writing()  # before anything is read: the data key may be created
        require(actor, Permission.ARTIFACT_CREATE, techdata.artifact_target(unit.session, artifact))
        if not decision.permit:  # who may not read it may not write it either
            raise techdata.refusal(decision)
        kept = unit.session.get(ArtifactKey, artifact_id)
        node_key = settings.node_key()
        if kept is not None:
            return unwrap_key(node_key, bytes(kept.wrapped_key))
        data_key = new_key()
        unit.add(ArtifactKey(artifact_id=artifact_id, wrapped_key=wrap_key(node_key, data_key)))
        unit.commit()
        return data_key


def _record(
    uow: UowFactory, actor: Principal, artifact_id: uuid.UUID, version: ContentVersion
) -> VersionOut:
    with uow() as unit:
        unit.for_writing()
        session = unit.session
        artifact = session.get(Artifact, artifact_id)
        if artifact is None:  # pragma: no cover - artifacts are never deleted
            raise NotFound("the artifact is gone")
        last = session.scalar(
            select(func.max(ContentVersion.number)).where(ContentVersion.artifact_id == artifact_id)
        )
        version.number = (last or 0) + 1
        session.add(version)
        unit.flush()
        record_event(
            unit,
            actor,
            "content:version:upload",
            artifact,
            {
                "version": version.number,
                "filename": version.filename,
                "content_type": version.content_type,
                "size": version.size,
                "sha256": version.sha256,
            },
        )
        out = VersionOut.model_validate(version)
        unit.commit()
    return out


def content_type_of(head: bytes, filename: str, declared: str | None) -> str:
    """What the bytes say they are; otherwise the file name's extension; otherwise what
    the uploader declared; otherwise octet-stream. Plain UTF-8 text is recognised as
    text, so that it is marked as text."""
    try:
        found = puremagic.from_string(head, mime=True) if head else ""
    except (puremagic.PureError, ValueError):
        found = ""
    if not found:
        try:
            found = puremagic.from_string(head, mime=True, filename=filename) if head else ""
        except (puremagic.PureError, ValueError):
            found = ""
    if not found and _looks_like_text(head):
        found = "text/plain"
    if not found and declared and "/" in declared and len(declared) <= 120:
        found = declared.split(";")[0].strip().lower()
    return found or "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed bytes is still text.
        return exc.start >= len(head) - 3
    return True


def list_versions(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: uuid.UUID,
    for_person: uuid.UUID | None = None,
) -> list[VersionOut]:
    """The artifact's versions, newest first, for someone who may see the artifact."""
    return versions_of_shown(uow, techdata.get_artifact(uow, actor, artifact_id, for_person))


def versions_of_shown(uow: UnitOfWork, shown: ArtifactOut) -> list[VersionOut]:
    """The versions of an artifact the caller has just been shown: ``shown`` comes from
    ``techdata.get_artifact``, which decided (and recorded) that they may see it."""
    with uow:
        rows = uow.session.scalars(
            select(ContentVersion)
            .where(ContentVersion.artifact_id == shown.id)
            .order_by(ContentVersion.number.desc())
        )
        return [VersionOut.model_validate(r) for r in rows]


@dataclass(frozen=True)
class Handout:
    """Content cleared to leave, with how it must be marked."""

    filename: str
    content_type: str
    size: int
    sha256: str
    version: int
    banner: str
    marking: str
    label_xml: bytes
    chunks: Iterator[bytes]

    def body(self) -> Iterator[bytes]:
        """The bytes handed out: marked for text, PDF, or zipped with the label."""
        if self.marking == "text":
            return marking.marked_text(self.banner, self.chunks)
        if self.marking == "pdf":
            return iter([marking.marked_pdf(self.banner, self.chunks)])
        return marking.with_sidecar(
            self.filename, self.chunks, f"{self.filename}.label.xml", self.label_xml
        )

    @property
    def body_type(self) -> str:
        return "application/zip" if self.marking == "sidecar" else self.content_type

    @property
    def body_name(self) -> str:
        return f"{self.filename}.zip" if self.marking == "sidecar" else self.filename


def hand_out(
    uow: UnitOfWork,
    actor: Principal,
    artifact_id: uuid.UUID,
    settings: ContentSettings,
    *,
    number: int | None = None,
    action: Action = Action.DOWNLOAD,
    for_person: uuid.UUID | None = None,
) -> Handout:
    """Decide, record, and open a version (default: the latest) for ``action`` (``read``
    or ``download``). A refusal is recorded too, and says which rules failed and how to
    remedy them."""
    if action not in (Action.READ, Action.DOWNLOAD):
        raise ValidationFailed.of("action", "content is handed out to read or to download")
    with uow:
        artifact, decision = techdata.decide_own_access(uow, actor, artifact_id, action, for_person)
        if not decision.permit:
            raise techdata.refusal(decision)
        session = uow.session
        query = select(ContentVersion).where(ContentVersion.artifact_id == artifact_id)
        if number is None:
            query = query.order_by(ContentVersion.number.desc()).limit(1)
        else:
            query = query.where(ContentVersion.number == number)
        version = session.scalar(query)
        if version is None:
            what = "no content yet" if number is None else f"no version {number}"
            raise NotFound(f"the artifact has {what}")
        kept = session.get(ArtifactKey, artifact_id)
        if kept is None:  # pragma: no cover - a version is never stored without its key
            raise Conflict("the artifact's data key is missing")
        data_key = unwrap_key(settings.node_key(), bytes(kept.wrapped_key))
        label = artifact.label
        catalogue = techdata.catalogue_of(session)
        label_xml = stanag4774.export_label(
            label_of(label), catalogue, created_at=artifact.created_at
        )
        handout_name, handout_type = version.filename, version.content_type
        size, sha, number_out, blob = version.size, version.sha256, version.number, version.blob
        version_id = version.id
        banner = label.banner
    return Handout(
        filename=handout_name,
        content_type=handout_type,
        size=size,
        sha256=sha,
        version=number_out,
        banner=banner,
        marking=marking.kind_of(handout_type, size),
        label_xml=label_xml,
        chunks=_plaintext(settings.blobs, blob, data_key, version_id.bytes),
    )


def _plaintext(blobs: BlobStore, blob: str, key: bytes, identity: bytes) -> Iterator[bytes]:
    with blobs.open(blob) as file:
        yield from unseal(key, identity, file)


@dataclass(frozen=True)
class Sealed:
    """The latest version of an artifact, ready to unseal: for a release already decided
    by the engine for the receiving organisation (the caller's duty)."""

    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: Iterator[bytes]


def latest_for_release(
    session: Session, artifact_id: uuid.UUID, settings: ContentSettings
) -> Sealed:
    version = session.scalar(
        select(ContentVersion)
        .where(ContentVersion.artifact_id == artifact_id)
        .order_by(ContentVersion.number.desc())
        .limit(1)
    )
    kept = session.get(ArtifactKey, artifact_id)
    if version is None or kept is None:
        raise ValidationFailed.of("artifact", "has no content to release yet")
    key = unwrap_key(settings.node_key(), bytes(kept.wrapped_key))
    return Sealed(
        number=version.number,
        filename=version.filename,
        content_type=version.content_type,
        size=version.size,
        sha256=version.sha256,
        chunks=_plaintext(settings.blobs, version.blob, key, version.id.bytes),
    )
