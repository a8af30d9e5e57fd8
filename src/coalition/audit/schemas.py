"""Views of recorded events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coalition.registry.schemas import View


class EventOut(View):
    id: int
    at: datetime
    actor: str
    tag: str
    object_type: str
    object_id: str
    details: dict[str, Any]
