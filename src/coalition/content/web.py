"""Web pages of artifact content: the upload form's target and the handed-out content.

The upload form is read as it streams: the form's fields come first (the CSRF token, the
comment), then the file, whose bytes go straight into the sealer. Nothing of the file is
spooled to disk in clear, as a buffered form parser would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from coalition.content import services
from coalition.content.api import content_settings, handout_headers, with_body
from coalition.errors import PermissionDenied, ValidationFailed
from coalition.policy.facts import Action
from coalition.web.deps import UowDep, WebPrincipal, csrf_ok
from coalition.web.templating import flash

router = APIRouter(include_in_schema=False)
MAX_FIELD = 4096


class StreamedForm:
    """A multipart form read part by part: small fields kept, the file's bytes handed on
    as they arrive."""

    def __init__(self, content_type: str, raw: Iterator[bytes]) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise ValidationFailed.of("file", "send the form as multipart/form-data")
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.file_type: str | None = None
        self._raw = raw
        self._ended = False
        self._file_ended = False
        self._in_file = False
        self._pending: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._name = ""
        self._value = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._headers, self._value = {}, bytearray()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is not None and self.filename is None and not self._file_ended:
            self.filename = filename.decode("utf-8", "replace")
            self.file_type = self._headers.get(b"content-type", b"").decode("latin-1") or None
            self._in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(bytes(data[start:end]))
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD:
            raise ValidationFailed.of(self._name or "form", f"is longer than {MAX_FIELD} bytes")

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file, self._file_ended = False, True
        elif self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def _feed(self) -> bool:
        chunk = next(self._raw, None)
        if chunk is None:
            self._parser.finalize()
            self._ended = True
            return False
        self._parser.write(chunk)
        return True

    def until_file(self) -> None:
        """Read the fields before the file, up to the file's first bytes."""
        while self.filename is None and self._feed():
            pass
        if self.filename is None:
            raise ValidationFailed.of("file", "choose a file to upload")

    def file_chunks(self) -> Iterator[bytes]:
        while True:
            while self._pending:
                yield self._pending.pop(0)
            if self._file_ended or self._ended or not self._feed():
                while self._pending:
                    yield self._pending.pop(0)
                return


def _upload_form(
    request: Request, actor: WebPrincipal, artifact_id: uuid.UUID, raw: Iterator[bytes]
) -> str:
    """Runs in a worker thread: the form's fields, then the file, sealed as it streams."""
    form = StreamedForm(request.headers.get("content-type", ""), raw)
    form.until_file()
    if not csrf_ok(request, form.fields.get("csrf_token")):
        raise PermissionDenied("the form has expired or did not come from this site; reload it")
    version = services.upload(
        request.app.state.uow_factory,
        actor,
        artifact_id,
        form.filename or "",
        form.file_chunks(),
        content_settings(request),
        declared_type=form.file_type,
        comment=form.fields.get("comment") or None,
    )
    return f"Version {version.number} uploaded: {version.filename}, {version.size} bytes."


@router.post("/artifacts/{artifact_id}/versions")
async def upload_page(artifact_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    message = await with_body(request, lambda raw: _upload_form(request, actor, artifact_id, raw))
    flash(request, message)
    return RedirectResponse(f"/artifacts/{artifact_id}#content-h", status_code=303)


@router.get("/artifacts/{artifact_id}/content")
def content_page(
    artifact_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    version: Annotated[int | None, Query(ge=1)] = None,
    disposition: Literal["attachment", "inline"] = "attachment",
) -> Response:
    action = Action.DOWNLOAD if disposition == "attachment" else Action.READ
    handout = services.hand_out(
        uow, actor, artifact_id, content_settings(request), number=version, action=action
    )
    return StreamingResponse(
        iterate_in_threadpool(handout.body()),
        media_type=handout.body_type,
        headers=handout_headers(handout, disposition),
    )
