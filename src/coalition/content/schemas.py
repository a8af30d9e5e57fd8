"""Views of content versions."""

from __future__ import annotations

import uuid
from datetime import datetime

from coalition.registry.schemas import View


class VersionOut(View):
    id: uuid.UUID
    artifact_id: uuid.UUID
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    comment: str | None
    created_by: str
    created_at: datetime
