"""Discussion pages: the threads the reader may see (of a project or a subject) with the
form to start one, and a thread with its messages nested by reply, each under its banner,
with the form to post or answer and the link to its export."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.common.paging import PageRequest
from coalition.discussions import services
from coalition.discussions.models import SubjectKind
from coalition.discussions.schemas import MessageIn, ThreadFilters, ThreadIn
from coalition.errors import CoalitionError
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse, uuid_or_none
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
KINDS = [(k.value, k.value.replace("_", " ")) for k in SubjectKind]
KIND_VALUES = frozenset(k.value for k in SubjectKind)
LISTS = ("attachments", "mentions")


def _label(values: dict[str, Any]) -> dict[str, Any] | None:
    """The label typed as scheme, originator and banner; no banner, no label."""
    if not values.get("banner"):
        return None
    return {
        "scheme": str(values.get("scheme", "")).upper(),
        "originator": str(values.get("originator", "")).upper(),
        "banner": values["banner"],
    }


def _shown_errors(exc: CoalitionError) -> dict[str, str]:
    errors = form_errors(exc)
    if "label" in errors:  # label.banner, label.classification...: shown at the banner
        errors["banner"] = errors.pop("label")
    return errors


def _list(
    request: Request,
    actor: Principal,
    filters: ThreadFilters,
    page: PageRequest,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    shown = services.list_threads(request.app.state.uow_factory(), actor, filters, page)
    start = {
        "subject_kind": filters.subject_kind or "project",
        "project": filters.project or "",
    } | (values or {})
    return render(
        request,
        "discussions/list.html",
        actor,
        {
            "section": "discussions",
            "page": shown,
            "filters": filters,
            "kinds": KINDS,
            "errors": errors or {},
            "values": start,
        },
        status_code=status_code,
    )


@router.get("/discussions")
def discussions_page(
    request: Request,
    actor: WebPrincipal,
    page: PageDep,
    project: Annotated[str | None, AnyChoice] = None,
    subject_kind: Annotated[SubjectKind | None, AnyChoice] = None,
    subject_id: Annotated[uuid.UUID | None, AnyChoice] = None,
) -> Response:
    filters = ThreadFilters(project=project, subject_kind=subject_kind, subject_id=subject_id)
    return _list(request, actor, filters, page)


@router.post("/discussions/new")
def start_page(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    values = form_values(form, lists=LISTS)
    command = {k: v for k, v in values.items() if k not in ("scheme", "originator", "banner")}
    command["label"] = _label(values)
    try:
        started = services.start_thread(
            uow, actor, parse(ThreadIn, command), request.app.state.settings
        )
    except CoalitionError as exc:
        kind = values.get("subject_kind")
        subject_id = uuid_or_none(values.get("subject_id"))
        filters = ThreadFilters(
            subject_kind=SubjectKind(kind) if subject_id and kind in KIND_VALUES else None,
            subject_id=subject_id,
        )
        shown = {k: ", ".join(v) if isinstance(v, list) else v for k, v in values.items()}
        return _list(request, actor, filters, PageRequest(), _shown_errors(exc), shown, exc.status)
    flash(request, f"Discussion started at {started.banner}.")
    return RedirectResponse(f"/discussions/{started.id}", status_code=303)


def _thread(
    request: Request,
    actor: Principal,
    thread_id: uuid.UUID,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    thread = services.get_thread(request.app.state.uow_factory(), actor, thread_id)
    shown = {"scheme": thread.label.scheme, "originator": thread.label.originator} | (values or {})
    return render(
        request,
        "discussions/thread.html",
        actor,
        {
            "section": "discussions",
            "t": thread,
            "numbers": {m.id: n for n, m in enumerate(thread.messages, start=1)},
            "replies": [
                (str(m.id), f"#{n} {m.author}, {m.created_at:%Y-%m-%d %H:%M}")
                for n, m in enumerate(thread.messages, start=1)
            ],
            "errors": errors or {},
            "values": shown,
        },
        status_code=status_code,
    )


@router.get("/discussions/{thread_id}")
def thread_page(thread_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _thread(request, actor, thread_id)


@router.post("/discussions/{thread_id}/messages")
def post_page(
    thread_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=LISTS)
    command = {k: v for k, v in values.items() if k not in ("scheme", "originator", "banner")}
    command["label"] = _label(values)
    try:
        posted = services.post_message(
            uow, actor, thread_id, parse(MessageIn, command), request.app.state.settings
        )
    except CoalitionError as exc:
        shown = {k: ", ".join(v) if isinstance(v, list) else v for k, v in values.items()}
        return _thread(request, actor, thread_id, _shown_errors(exc), shown, exc.status)
    flash(request, f"Message posted at {posted.label.banner}.")
    return RedirectResponse(f"/discussions/{thread_id}#m-{posted.id}", status_code=303)


@router.get("/discussions/{thread_id}/export.txt")
def export_page(
    thread_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    """The thread as plain text, as the reader may see it, for the record."""
    exported = services.export_thread(uow, actor, thread_id)
    return PlainTextResponse(
        exported.text,
        headers={"Content-Disposition": f'attachment; filename="discussion-{thread_id}.txt"'},
    )
