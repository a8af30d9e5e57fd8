"""API routes of the caller's inbox."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from coalition.notifications import services
from coalition.notifications.schemas import InboxOut
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(prefix="/inbox", tags=["notifications"])


@router.get("")
def inbox(actor: ApiPrincipal, uow: UowDep, unread: bool = False) -> InboxOut:
    """The caller's latest notifications, newest first, and how many are unread."""
    return services.inbox(uow, actor, unread_only=unread)


@router.post("/read")
def mark_all_read(actor: ApiPrincipal, uow: UowDep) -> dict[str, int]:
    """Mark every notification of the caller's as read."""
    return {"marked": services.mark_read(uow, actor)}


@router.post("/{notification_id}/read")
def mark_read(notification_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> dict[str, int]:
    return {"marked": services.mark_read(uow, actor, notification_id)}
