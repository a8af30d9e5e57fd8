"""Where sealed content lives: a local folder by default.

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
from typing import BinaryIO, Protocol

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
