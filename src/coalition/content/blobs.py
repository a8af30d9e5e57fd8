"""Where sealed content lives: a local folder by default, or an S3-compatible bucket.

A blob is written to a private temporary file and moved into place only when complete and
on disk (fsync of the file and its folder), so a reader never sees half a blob and a
crash or an aborted upload leaves at most a temporary file, which ``sweep`` removes. The
database row that points at a blob is committed after the blob is in place: an
acknowledged version always has its content.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

_NAME = re.compile(r"^[0-9a-f]{32}(/[0-9a-f]{32})?\.sealed$")
TEMPORARY_PREFIX = ".upload-"


class BlobStore(Protocol):
    def create(self, name: str) -> contextlib.AbstractContextManager[BinaryIO]: ...

    def open(self, name: str) -> BinaryIO: ...

    def delete(self, name: str) -> None: ...


class LocalBlobs:
    """Blobs as files under ``root`` (created 0700), named by their content's ids."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError(f"not a blob name: {name!r}")
        return self.root / name

    @contextmanager
    def create(self, name: str) -> Iterator[BinaryIO]:
        """A file to write the blob into; in place when the block ends without an error,
        gone when it raises."""
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = (
            path.parent / f"{TEMPORARY_PREFIX}{path.name}.{os.getpid()}.{time.monotonic_ns()}"
        )
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                yield file
                file.flush()
                os.fsync(file.fileno())
            if path.exists():
                raise FileExistsError(f"blob {name} exists already")
            os.replace(temporary, path)
            _fsync_folder(path.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise

    def open(self, name: str) -> BinaryIO:
        return self._path(name).open("rb")

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(name).unlink()

    def sweep(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files older than the limit (uploads cut off by a crash)."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        if not self.root.exists():
            return 0
        for path in self.root.rglob(f"{TEMPORARY_PREFIX}*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


#: S3 parts are at least 5 MiB, except the last one.
PART_BYTES = 8 * 1024 * 1024


class S3Blobs:
    """Blobs in an S3-compatible bucket, under a prefix. A blob is written as a multipart
    upload, completed only when the whole blob was sent (S3 acknowledges a completed
    upload once it is stored durably) and aborted otherwise, so no partial object is ever
    visible. Credentials come from the usual AWS sources (environment, profile, instance
    role), never from Coalition's settings or database."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def connect(
        cls,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> S3Blobs:
        try:
            import boto3  # only the nodes that keep content in S3 need it
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "COALITION_CONTENT_STORE=s3 needs boto3: pip install 'coalition[s3]'"
            ) from exc
        client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        return cls(client, bucket, prefix)

    def _key(self, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"not a blob name: {name!r}")
        return self.prefix + name

    @contextmanager
    def create(self, name: str) -> Iterator[BinaryIO]:
        key = self._key(name)
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        writer = _PartWriter(self.client, self.bucket, key, upload["UploadId"])
        try:
            yield writer  # type: ignore[misc]
            writer.finish()
        except BaseException:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload["UploadId"]
            )
            raise

    def open(self, name: str) -> BinaryIO:
        body: BinaryIO = self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
        return body

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))


class _PartWriter:
    """Collects writes into parts of PART_BYTES and sends each as it fills."""

    def __init__(self, client: Any, bucket: str, key: str, upload_id: str) -> None:
        self.client, self.bucket, self.key, self.upload_id = client, bucket, key, upload_id
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) >= PART_BYTES:
            self._send(bytes(self.buffer[:PART_BYTES]))
            del self.buffer[:PART_BYTES]
        return len(data)

    def _send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def finish(self) -> None:
        if self.buffer or not self.parts:
            self._send(bytes(self.buffer))
            self.buffer.clear()
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )
